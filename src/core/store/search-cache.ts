import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';
import { writeError } from '../fs/write-errors';
import { crc32 } from '../util/hash';
import { storeFiles } from './embedded-files';
import type { StoreManifest } from './manifest';
import type { QuantisedRows } from './quantised-rows';
import { type QuantisedBlock, ROW_INFO_BYTES } from './quantiser';
import { readPrefixWithCrc } from './records-file';
import type { RowInfo } from './row-info';

/**
 * The search cache: what opening a store would otherwise compute from its data files, saved beside them per
 * generation, so that a million-row store opens by reading about 800 MB instead of reading 2 GB and quantising it.
 * - `search-<gen>.q8`, `.q4`, `.info`: each row's int8 codes, 4-bit residual codes and numbers (quantiser.ts);
 * - `search-<gen>.lines`: where each row's line starts in the records file (float64);
 * - `search-<gen>.ids`: the id table's slots (id-index.ts) as of `idsRows` rows; rows after those are hashed at open.
 * The row files grow with the data files: an append writes their new rows too (beyond their committed length, like
 * the data files) and fsyncs them before the manifest commits the lot, which records their row count and CRC-32s.
 * The cache is never trusted beyond that record: a file missing, short or with another checksum, a record of another
 * generation or version, or rows the cache does not cover (appended by a version without it) are computed from the
 * data files again (embedded-load.ts), and a writer saves the result. Losing it costs time, never data. The codes'
 * checksums are the one thing opening leaves for later: the store checks them before its first search
 * (codes-check.ts), off the thread that opened it.
 */
export const SEARCH_CACHE_VERSION = 1;

export interface SearchCache {
  /** The cache format: the kernel's quantisation and file layouts. */
  version: number;
  /** The data files' generation it was made from. */
  generation: number;
  /** Rows held by the row files. */
  rows: number;
  /** CRC-32 of the vectors file's first `rows` rows, so that rows after them can be checked on their own. */
  vectorsCrc32: number;
  q8Crc32: number;
  q4Crc32: number;
  infoCrc32: number;
  linesCrc32: number;
  /** Rows the saved id table covers (0: none saved), how many of them it leaves out, and its CRC-32. */
  idsRows: number;
  /** Rows whose record line is not in the form the table reads (an escaped id): RecordTable keeps those in a Map. */
  idsOthers: number;
  idsCrc32: number;
}

export const ROW_FILES = ['q8', 'q4', 'info', 'lines'] as const;
export type RowFile = (typeof ROW_FILES)[number];
const CRC_OF = { q8: 'q8Crc32', q4: 'q4Crc32', info: 'infoCrc32', lines: 'linesCrc32' } as const;

/** Row files' bytes per row, for rows of `stride` (the kernel's padded dimension). */
export function rowBytes(kind: RowFile, stride: number): number {
  return { q8: stride, q4: stride / 2, info: ROW_INFO_BYTES, lines: 8 }[kind];
}

/** The manifest's search cache, if this version wrote it for the committed generation; null otherwise. */
export function cacheRecord(manifest: StoreManifest): SearchCache | null {
  const c = manifest.searchCache as Partial<Record<keyof SearchCache, unknown>> | null | undefined;
  if (!c || typeof c !== 'object') return null;
  const fields: (keyof SearchCache)[] = ['version', 'generation', 'rows', 'vectorsCrc32', 'idsRows', 'idsOthers'];
  fields.push('idsCrc32');
  fields.push(...ROW_FILES.map((kind) => CRC_OF[kind]));
  if (!fields.every((f) => Number.isSafeInteger(c[f]) && (c[f] as number) >= 0 && (c[f] as number) <= 2 ** 48))
    return null;
  const cache = c as SearchCache;
  const fits = cache.rows <= manifest.count && cache.idsRows <= cache.rows;
  return cache.version === SEARCH_CACHE_VERSION && cache.generation === manifest.generation && fits ? cache : null;
}

/** Where the row files' first rows go when read: the store's in-memory arrays; an absent one is not read. */
export interface RowTargets {
  info?: RowInfo;
  codes?: QuantisedRows;
  lines?: Float64Array;
}

/**
 * Reads rows [0, cache.rows) of the row files into `into`; false when any is missing or short, or fails its CRC.
 * With `checkCodes` false, the codes' CRC-32s are left to the caller (the store checks them off the opening thread
 * before its first search: embedded-store.ts); the numbers and line starts are always checked here.
 */
export async function readRowFiles(
  dir: string,
  cache: SearchCache,
  stride: number,
  into: RowTargets,
  checkCodes = true,
): Promise<boolean> {
  const n = cache.rows;
  const { info, lines, codes } = into;
  const targets: [RowFile, Uint8Array | undefined][] = [
    ['info', info?.view(0, n)],
    ['lines', lines && new Uint8Array(lines.buffer, lines.byteOffset, n * 8)],
    ['q8', codes?.codes('q8', 0, n)],
    ['q4', codes?.codes('q4', 0, n)],
  ];
  for (const [kind, target] of targets) {
    if (!target) continue;
    const check = checkCodes || (kind !== 'q8' && kind !== 'q4');
    try {
      const file = storeFiles.search(dir, cache.generation, kind);
      const read = await readPrefixWithCrc(file, n * rowBytes(kind, stride), target, check);
      if (check && read.crc32 !== cache[CRC_OF[kind]]) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Reads the codes of rows [0, cache.rows) into `codes`: a cache just written, so failing to is a disk's failure. */
export async function readCodes(dir: string, cache: SearchCache, codes: QuantisedRows): Promise<void> {
  if (await readRowFiles(dir, cache, codes.stride, { codes })) return;
  throw new VectorTuneError(
    'the search cache just written cannot be read back.',
    storeFiles.search(dir, cache.generation, 'q8'),
    'Check the disk, then open the store again (its cache is rebuilt).',
  );
}

/** The saved id table, or null when there is none or it is missing, damaged or not a table. */
export async function readIdTable(dir: string, cache: SearchCache): Promise<Int32Array | null> {
  if (cache.idsRows === 0) return null;
  const file = storeFiles.search(dir, cache.generation, 'ids');
  try {
    const { size } = await fsp.stat(file);
    const slots = size / 4;
    // A power of two, at least twice the rows (id-index.ts keeps it at most half full).
    if (!Number.isInteger(slots) || slots < 2 * cache.idsRows || (slots & (slots - 1)) !== 0) return null;
    const table = new Int32Array(slots);
    const read = await readPrefixWithCrc(file, size, new Uint8Array(table.buffer));
    return read.crc32 === cache.idsCrc32 ? table : null;
  } catch {
    return null;
  }
}

/** Saves the id table atomically; returns its CRC-32 for the manifest. */
export async function writeIdTable(dir: string, generation: number, slots: Int32Array): Promise<number> {
  const bytes = new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength);
  await writeFileAtomic(storeFiles.search(dir, generation, 'ids'), bytes);
  return crc32(bytes);
}

/**
 * Writes rows to the row files of a generation, after the rows a cache record holds (or from the start, cutting
 * the files), through one descriptor per file; `finish` fsyncs them. Whatever it wrote counts only once a manifest
 * naming the new row count and checksums is committed.
 */
export class CacheWriter {
  private readonly fds = new Map<RowFile, number>();
  private readonly crcs: Record<RowFile, number>;
  private rows: number;

  constructor(
    private readonly dir: string,
    private readonly generation: number,
    private readonly stride: number,
    after: SearchCache | null,
  ) {
    this.rows = after?.rows ?? 0;
    this.crcs = {
      q8: after?.q8Crc32 ?? 0,
      q4: after?.q4Crc32 ?? 0,
      info: after?.infoCrc32 ?? 0,
      lines: after?.linesCrc32 ?? 0,
    };
    try {
      for (const kind of ROW_FILES) {
        const file = this.file(kind);
        const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT);
        this.fds.set(kind, fd);
        fs.ftruncateSync(fd, this.rows * rowBytes(kind, stride));
      }
    } catch (err) {
      this.close();
      throw writeError(err, this.file('q8'));
    }
  }

  /** Appends the rows of `block`, whose records' lines start at `lineStarts` (bytes into the records file). */
  write(block: QuantisedBlock, lineStarts: Float64Array): void {
    const parts: [RowFile, Uint8Array][] = [
      ['q8', new Uint8Array(block.q8.buffer, block.q8.byteOffset, block.q8.byteLength)],
      ['q4', block.q4],
      ['info', block.info],
      ['lines', new Uint8Array(lineStarts.buffer, lineStarts.byteOffset, lineStarts.byteLength)],
    ];
    for (const [kind, bytes] of parts) {
      const fd = this.fds.get(kind)!;
      const at = this.rows * rowBytes(kind, this.stride);
      try {
        for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done, at + done);
      } catch (err) {
        throw writeError(err, this.file(kind));
      }
      this.crcs[kind] = crc32(bytes, this.crcs[kind]);
    }
    this.rows += block.count;
  }

  /** Fsyncs and closes the files; returns the rows they hold and their checksums, for the manifest. */
  finish(): Pick<SearchCache, 'rows' | 'q8Crc32' | 'q4Crc32' | 'infoCrc32' | 'linesCrc32'> {
    try {
      for (const [kind, fd] of this.fds) {
        try {
          fs.fsyncSync(fd);
        } catch (err) {
          throw writeError(err, this.file(kind));
        }
      }
    } finally {
      this.close();
    }
    const { q8, q4, info, lines } = this.crcs;
    return { rows: this.rows, q8Crc32: q8, q4Crc32: q4, infoCrc32: info, linesCrc32: lines };
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }

  private file(kind: RowFile): string {
    return storeFiles.search(this.dir, this.generation, kind);
  }
}

/** Where each of `count` lines of `text` starts, counting bytes from `base` (the records file's committed length). */
export function lineStarts(text: Uint8Array, base: number, count: number): Float64Array {
  const starts = new Float64Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    starts[i] = base + at;
    at = text.indexOf(0x0a, at) + 1;
  }
  return starts;
}
