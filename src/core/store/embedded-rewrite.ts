import { writeFileAtomic } from '../fs/durable';
import { crc32 } from '../util/hash';
import { storeFiles } from './embedded-files';
import { emptyCache } from './embedded-load';
import type { StoreManifest } from './manifest';
import { RowQuantiser } from './quantiser';
import { RecordTable } from './record-table';
import { encodeRecords } from './records-file';
import { RowInfo } from './row-info';
import { CacheWriter, lineStarts, type SearchCache, writeIdTable } from './search-cache';
import type { VectorRecord } from './types';
import { type VectorFile, writeRows } from './vector-file';

/** Rows per read-and-write step of a rewrite (16 MiB of 512-d float32). */
const COPY_ROWS = 8192;

/** The generation a rewrite starts from. */
export interface Generation {
  dir: string;
  dimension: number;
  file: VectorFile;
  records: RecordTable;
}

/** A new generation's files, written but not yet committed, and what the store holds of it in memory. */
export interface WrittenGeneration {
  info: RowInfo;
  records: RecordTable;
  count: number;
  searchCache: SearchCache;
  /** What the manifest commit records. */
  change: Partial<StoreManifest>;
}

/**
 * Replacements or deletions: writes generation `generation` whole (vectors, records and search cache, each fsynced)
 * from the current one, changed by `upserts` and `deleted`. Kept rows are copied from the old files a chunk at a time
 * (never all of it in memory; their records' lines byte for byte) and quantised again as they pass. The caller
 * commits it with the manifest; until then the current generation stays the store.
 */
export async function writeGeneration(
  current: Generation,
  generation: number,
  upserts: VectorRecord[],
  deleted: ReadonlySet<string>,
): Promise<WrittenGeneration> {
  const { dir, dimension: d, records: old } = current;
  const replacing = new Map<number, VectorRecord>();
  const added: VectorRecord[] = [];
  for (const r of upserts) {
    const row = old.rowOf(r.id);
    if (row === undefined) added.push(r);
    else replacing.set(row, r);
  }
  const gone = new Set([...deleted].map((id) => old.rowOf(id)).filter((row) => row !== undefined));
  const keptRows = Array.from({ length: old.count }, (_, row) => row).filter((row) => !gone.has(row));
  const count = keptRows.length + added.length;
  const quantiser = RowQuantiser.for(d);
  const writer = new CacheWriter(dir, generation, quantiser.stride, null);
  const info = new RowInfo(Math.max(count, 1024));
  const text: Uint8Array[] = [];
  const starts = new Float64Array(count);
  let recordsBytes = 0;
  let recordsCrc32 = 0;
  let row = 0;
  /** One block of the new generation: its codes and records' lines go to the cache and records, then its vectors. */
  const write = (emit: (block: Float32Array) => void, block: Float32Array, lines: Uint8Array) => {
    const n = block.length / d;
    const codes = quantiser.quantise(block, n);
    info.set(row, codes.info, 0, n);
    starts.set(lineStarts(lines, recordsBytes, n), row);
    writer.write(codes, starts.subarray(row, row + n));
    text.push(lines);
    recordsBytes += lines.length;
    recordsCrc32 = crc32(lines, recordsCrc32);
    row += n;
    emit(block);
  };
  try {
    const vectorsCrc32 = writeRows(storeFiles.vectors(dir, generation), count, d, (emit) => {
      for (let i = 0; i < keptRows.length; i += COPY_ROWS) {
        const slice = keptRows.slice(i, i + COPY_ROWS);
        const block = current.file.readRows(slice);
        const lines = slice.map((from, j) => {
          const replacement = replacing.get(from);
          if (!replacement) return old.line(from);
          block.set(replacement.vector, j * d);
          return Buffer.from(encodeRecords([replacement]), 'utf8');
        });
        write(emit, block, Buffer.concat(lines));
      }
      const block = new Float32Array(added.length * d);
      added.forEach((r, i) => block.set(r.vector, i * d));
      write(emit, block, Buffer.from(encodeRecords(added), 'utf8'));
    });
    const recordText = Buffer.concat(text);
    const recordsFile = storeFiles.records(dir, generation);
    await writeFileAtomic(recordsFile, recordText);
    const rows = writer.finish();
    const records = new RecordTable(recordsFile, recordText, count, { starts });
    const { slots, others } = records.indexSlots;
    const idsCrc32 = await writeIdTable(dir, generation, slots);
    const searchCache = {
      ...emptyCache(generation),
      ...rows,
      vectorsCrc32,
      idsRows: count,
      idsOthers: others,
      idsCrc32,
    };
    return {
      info,
      records,
      count,
      searchCache,
      change: { generation, count, recordsBytes, vectorsCrc32, recordsCrc32, searchCache },
    };
  } finally {
    writer.close();
  }
}
