import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';
import { crc32 } from '../util/hash';
import { storeFiles } from './embedded-files';
import { readManifest, STORE_FORMAT, StoreManifest, writeManifest } from './manifest';
import { formatVersionFor, precisionError, recordedPrecision } from './precision-check';
import { QuantisedRows } from './quantised-rows';
import { MAX_DIMENSION, RowQuantiser } from './quantiser';
import { RecordTable } from './record-table';
import { readRecordBytes } from './records-file';
import { RowInfo } from './row-info';
import {
  CacheWriter,
  cacheRecord,
  readIdTable,
  readRowFiles,
  SEARCH_CACHE_VERSION,
  type SearchCache,
  writeIdTable,
} from './search-cache';
import { refuseOtherModel } from './store-identity';
import type { StoreIdentity, StoreInfo } from './types';
import { VectorFile } from './vector-file';

/** What opening an embedded store reads into memory. */
export interface LoadedStore {
  /**
   * With the checksums of what was read (so the next commit records them even for a store written before them) and
   * the search cache as it now stands on disk.
   */
  manifest: StoreManifest;
  info: RowInfo;
  /** The rows' codes, for searching; absent when opened without search (an import only writes). */
  codes: QuantisedRows | undefined;
  file: VectorFile;
  records: RecordTable;
  identity: StoreInfo;
  /** How the search cache served: wholly, extended by rows it lacked, or rebuilt. */
  cache: 'used' | 'extended' | 'rebuilt';
  /** The search cache was written to while opening: the manifest must be committed to count it. */
  cacheWritten: boolean;
  /**
   * The codes read from the search cache without their CRC-32s checked yet (rows [0, rows)): the store checks them
   * before its first search, and computes them again from the vectors file if they differ (embedded-store.ts).
   */
  codesToCheck: CodesCheck | undefined;
}

/** Codes read from the search cache and the CRC-32s the manifest recorded for them. */
export type CodesCheck = Pick<SearchCache, 'rows' | 'q8Crc32' | 'q4Crc32'>;

export interface LoadOptions {
  /** Load the codes the search scans (false for a store that is only written to, such as an import's). */
  search: boolean;
  /** This process holds the writer lock: what the cache lacked is saved (else computed in memory only). */
  write: boolean;
}

/** The id table is saved again once this many rows are not in the saved one (hashing them at open is cheap). */
export function idTableIsStale(cache: Pick<SearchCache, 'idsRows'>, count: number): boolean {
  return count - cache.idsRows > Math.max(65536, count / 8);
}

/**
 * Reads a committed store: the manifest, the records (checked against their CRC-32), and the search cache, which
 * holds the rows' codes, numbers, line starts and id table (search-cache.ts). Whatever the cache lacks or cannot
 * vouch for is computed from the data files: the vectors file is then read (checked against its CRC-32) and
 * quantised, and with `write` the result is saved for next time. When `expected` is given, a store of another model
 * or dimension is refused.
 */
export async function loadStore(
  dir: string,
  expected: StoreIdentity | undefined,
  options: LoadOptions,
): Promise<LoadedStore> {
  const manifest = await readManifest(storeFiles.manifest(dir));
  if (expected) {
    refuseOtherModel(manifest, expected, 'this store', dir);
    const mixed = precisionError('this store cannot take these vectors', manifest, expected, dir);
    if (mixed) throw mixed;
  }
  const { dimension, count, generation } = manifest;
  if (dimension > MAX_DIMENSION) {
    throw new VectorTuneError(
      `the store holds vectors of ${dimension} dimensions; the embedded store searches vectors of at most ${MAX_DIMENSION}.`,
      storeFiles.manifest(dir),
      'The manifest may be damaged; the store is rebuildable: delete its folder and index again.',
    );
  }
  const recordsFile = storeFiles.records(dir, generation);
  const text = await readRecordBytes(recordsFile, manifest.recordsBytes, count, manifest.recordsCrc32);
  // Before anything is sized by `count`: a record line takes at least `{"id":"x"}` and a line break.
  if (count * 11 > text.bytes.length) {
    throw new VectorTuneError(
      `the records file (${text.bytes.length} bytes) is too short for the ${count} records the manifest says.`,
      recordsFile,
      'The store is damaged; it is rebuildable: delete its folder and index again.',
    );
  }
  const file = new VectorFile(storeFiles.vectors(dir, generation), dimension);
  const quantiser = RowQuantiser.for(dimension);
  const capacity = Math.max(count, 1024);
  const info = new RowInfo(capacity);
  const codes = options.search ? new QuantisedRows(dimension, capacity, dir) : undefined;
  const lines = new Float64Array(count);
  try {
    let cache = cacheRecord(manifest);
    // The codes' CRC-32s (0.46 GB of a million 512-d rows) are checked after opening, off this thread.
    if (cache && !(await readRowFiles(dir, cache, quantiser.stride, { info, codes, lines }, false))) cache = null;
    const covered = cache?.rows ?? 0;
    lines.set(tailLines(text.bytes, recordsFile, covered === 0 ? 0 : lines[covered - 1], covered, count), covered);
    await checkVectorsLength(file, count);
    // Rows the cache lacks: from the vectors file (checked by its CRC-32 here, as the cache's rows were when made).
    const writer =
      options.write && covered < count ? new CacheWriter(dir, generation, quantiser.stride, cache) : undefined;
    const start = { row: covered, crc: cache?.vectorsCrc32 ?? 0 };
    const vectorsCrc32 = quantiseRows({ file, manifest, info, codes, lines, writer }, start);
    const ids = cache ? await readIdTable(dir, cache) : null;
    const records = new RecordTable(recordsFile, text.bytes, count, {
      starts: lines,
      slots: ids ?? undefined,
      indexed: cache?.idsRows,
      others: cache?.idsOthers,
    });
    file.checksumOf = (row) => info.checksum(row);
    let searchCache = cache;
    if (writer) searchCache = { ...emptyCache(generation), ...searchCache, ...writer.finish(), vectorsCrc32 };
    let idsWritten = false;
    if (options.write && searchCache && (!ids || idTableIsStale(searchCache, count))) {
      const { slots, indexed, others } = records.indexSlots;
      const idsCrc32 = await writeIdTable(dir, generation, slots);
      searchCache = { ...searchCache, idsRows: indexed, idsOthers: others, idsCrc32 };
      idsWritten = true;
    }
    const centringMean = manifest.centringMean ? Float32Array.from(manifest.centringMean) : null;
    return {
      manifest: {
        ...manifest,
        vectorsCrc32,
        recordsCrc32: text.crc32,
        ...(searchCache ? { searchCache } : {}),
      },
      info,
      codes,
      file,
      records,
      identity: { modelId: manifest.modelId, dimension, ...recordedPrecision(manifest.precision), centringMean },
      cache: covered === count && cache ? 'used' : covered > 0 ? 'extended' : 'rebuilt',
      cacheWritten: writer !== undefined || idsWritten,
      codesToCheck:
        cache && codes && covered > 0 ? { rows: covered, q8Crc32: cache.q8Crc32, q4Crc32: cache.q4Crc32 } : undefined,
    };
  } catch (err) {
    file.close();
    await codes?.close();
    throw err;
  }
}

/** Where quantiseRows puts the rows it computes, and the cache writer that saves them (with `write`). */
interface QuantiseTargets {
  file: VectorFile;
  manifest: StoreManifest;
  info: RowInfo;
  codes: QuantisedRows | undefined;
  /** Where each row's record line starts (all rows). */
  lines: Float64Array;
  writer: CacheWriter | undefined;
}

/**
 * Computes the codes and numbers of rows [from.row, count) from the vectors file, into memory and through `writer`
 * (closed when this throws); the file's bytes are checked against the manifest's CRC-32, continued from `from.crc`
 * (the CRC-32 of the rows before). Returns the vectors file's CRC-32.
 */
function quantiseRows(to: QuantiseTargets, from: { row: number; crc: number }): number {
  const { file, manifest, info, codes, lines, writer } = to;
  const { count, dimension } = manifest;
  const quantiser = RowQuantiser.for(dimension);
  let vectorsCrc32 = from.crc;
  try {
    for (const { start, vectors } of file.chunks(count, from.row)) {
      vectorsCrc32 = crc32(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), vectorsCrc32);
      const n = vectors.length / dimension;
      const block = quantiser.quantise(vectors, n);
      info.set(start, block.info, 0, n);
      codes?.setBlock(start, block, 0, n);
      writer?.write(block, lines.subarray(start, start + n));
    }
    if (manifest.vectorsCrc32 !== undefined && vectorsCrc32 !== manifest.vectorsCrc32) {
      throw new VectorTuneError(
        'the vectors file does not match its checksum: its bytes changed after they were written.',
        file.file,
        'The store is damaged; it is rebuildable: delete its folder and index again.',
      );
    }
  } catch (err) {
    writer?.close();
    throw err;
  }
  return vectorsCrc32;
}

/**
 * Codes that failed their check (damaged search-cache files): every row's codes and numbers computed again from the
 * vectors file into memory, and, with `write`, saved as a new search cache; returns its record for the manifest
 * (null without `write`). The id table is not in these files and stays as it was.
 */
export function requantise(dir: string, to: Omit<QuantiseTargets, 'writer'>, write: boolean): SearchCache | null {
  const { manifest } = to;
  const stride = RowQuantiser.for(manifest.dimension).stride;
  const writer = write ? new CacheWriter(dir, manifest.generation, stride, null) : undefined;
  const vectorsCrc32 = quantiseRows({ ...to, writer }, { row: 0, crc: 0 });
  if (!writer) return null;
  const ids = cacheRecord(manifest);
  const kept = ids ? { idsRows: ids.idsRows, idsOthers: ids.idsOthers, idsCrc32: ids.idsCrc32 } : {};
  return { ...emptyCache(manifest.generation), ...kept, ...writer.finish(), vectorsCrc32 };
}

/**
 * Where lines [from, count) of the records start, the first at the end of line from - 1 (which starts at byte
 * `lastKnown`): exactly count - from whole lines must follow, or the manifest and the records file disagree.
 */
function tailLines(text: Buffer, file: string, lastKnown: number, from: number, count: number): Float64Array {
  const starts = new Float64Array(count - from);
  const after = from === 0 ? 0 : text.indexOf(0x0a, lastKnown) + 1;
  let at = from > 0 && after === 0 ? text.length : after;
  let found = 0;
  while (at < text.length) {
    if (found < starts.length) starts[found] = at;
    found++;
    const end = text.indexOf(0x0a, at);
    if (end < 0) break; // an unterminated last line: refused below
    at = end + 1;
  }
  if (found !== count - from || (text.length > 0 && text[text.length - 1] !== 0x0a)) {
    throw new VectorTuneError(
      `the records file holds ${from + found} committed records but the manifest says ${count}.`,
      file,
      'The store is damaged; it is rebuildable: delete its folder and index again.',
    );
  }
  return starts;
}

/** A search cache of no rows for `generation`, to start one from. */
export function emptyCache(generation: number): SearchCache {
  return {
    version: SEARCH_CACHE_VERSION,
    generation,
    rows: 0,
    vectorsCrc32: 0,
    q8Crc32: 0,
    q4Crc32: 0,
    infoCrc32: 0,
    linesCrc32: 0,
    idsRows: 0,
    idsOthers: 0,
    idsCrc32: 0,
  };
}

/** The vectors file must hold the committed rows: checked here, as opening need not read it. */
async function checkVectorsLength(file: VectorFile, count: number): Promise<void> {
  let size: number;
  try {
    const stat = await fs.stat(file.file);
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    size = stat.size;
  } catch (err) {
    throw new VectorTuneError(
      `a store data file cannot be opened (${(err as NodeJS.ErrnoException).code}).`,
      file.file,
      'Delete the store folder and index again.',
    );
  }
  const needed = count * file.dimension * 4;
  if (size < needed) {
    throw new VectorTuneError(
      `the store's vectors file ends at byte ${size}, before the rows its manifest lists.`,
      file.file,
      'The store is damaged; delete its folder and index again.',
    );
  }
}

/** Writes an empty store of generation 0 for this model. */
export async function createStore(dir: string, identity: StoreIdentity): Promise<void> {
  if (identity.dimension > MAX_DIMENSION) {
    throw new VectorTuneError(
      `vectors of ${identity.dimension} dimensions are longer than the embedded store searches (at most ${MAX_DIMENSION}).`,
      dir,
    );
  }
  const now = new Date().toISOString();
  const manifest: StoreManifest = {
    format: STORE_FORMAT,
    version: formatVersionFor(identity.precision),
    modelId: identity.modelId,
    dimension: identity.dimension,
    ...recordedPrecision(identity.precision),
    count: 0,
    recordsBytes: 0,
    generation: 0,
    centringMean: identity.centringMean ? Array.from(identity.centringMean) : null,
    searchCache: emptyCache(0),
    createdAt: now,
    updatedAt: now,
  };
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(storeFiles.vectors(dir, 0), new Uint8Array(0));
  await writeFileAtomic(storeFiles.records(dir, 0), '');
  await writeManifest(storeFiles.manifest(dir), manifest);
}
