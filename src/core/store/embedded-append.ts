import { crc32 } from '../util/hash';
import { storeFiles } from './embedded-files';
import { idTableIsStale } from './embedded-load';
import type { StoreManifest } from './manifest';
import { type QuantisedBlock, RowQuantiser } from './quantiser';
import type { RecordTable } from './record-table';
import { appendAt, encodeRecords } from './records-file';
import { CacheWriter, cacheRecord, lineStarts, type SearchCache, writeIdTable } from './search-cache';
import type { VectorRecord } from './types';

/** The committed state an append writes after. */
export interface AppendTarget {
  dir: string;
  dimension: number;
  manifest: StoreManifest;
  records: RecordTable;
}

/** An append written (data files and search cache, fsynced) and not yet committed. */
export interface WrittenAppend {
  /** The new rows' codes and numbers, for memory once committed. */
  codes: QuantisedBlock;
  /** The new rows' lines of the records file. */
  recordText: Buffer;
  /** What the manifest commit records. */
  change: Partial<StoreManifest>;
}

/**
 * New ids only: appends the rows to this generation's vectors and records files, and their codes, numbers and line
 * starts to its search cache, each beyond its committed length (a killed writer's uncommitted tail is cut first)
 * and fsynced. The id table is saved again, as of the rows before these, when too many rows are missing from the
 * saved one. The caller commits the returned change with the manifest.
 */
export async function writeAppend(target: AppendTarget, added: VectorRecord[]): Promise<WrittenAppend> {
  const { dir, dimension: d, manifest, records } = target;
  const start = records.count;
  const n = added.length;
  const block = rowsBlock(added, d);
  const codes = RowQuantiser.for(d).quantise(block, n);
  const recordText = Buffer.from(encodeRecords(added), 'utf8');
  const gen = manifest.generation;
  const bytes = new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
  await appendAt(storeFiles.vectors(dir, gen), start * d * 4, bytes);
  await appendAt(storeFiles.records(dir, gen), manifest.recordsBytes, recordText);
  const vectorsCrc32 = crc32(bytes, manifest.vectorsCrc32 ?? 0);
  const lines = lineStarts(recordText, manifest.recordsBytes, n);
  const searchCache = await appendToCache(target, codes, lines, vectorsCrc32);
  return {
    codes,
    recordText,
    change: {
      count: start + n,
      recordsBytes: manifest.recordsBytes + recordText.byteLength,
      vectorsCrc32,
      recordsCrc32: crc32(recordText, manifest.recordsCrc32 ?? 0),
      ...(searchCache ? { searchCache } : {}),
    },
  };
}

/**
 * The records' vectors as one row-major block: a view of theirs when they already are one (an import hands over
 * consecutive rows of the block it read), else a copy.
 */
function rowsBlock(added: VectorRecord[], d: number): Float32Array {
  if (added.length === 0) return new Float32Array(0);
  const first = added[0].vector;
  const adjacent = added.every(
    (r, i) => r.vector.buffer === first.buffer && r.vector.byteOffset === first.byteOffset + i * d * 4,
  );
  if (adjacent) return new Float32Array(first.buffer, first.byteOffset, added.length * d);
  const block = new Float32Array(added.length * d);
  added.forEach((r, i) => block.set(r.vector, i * d));
  return block;
}

/** The search cache with the appended rows, or null when it does not reach up to them (then left as it is). */
async function appendToCache(
  target: AppendTarget,
  codes: QuantisedBlock,
  lines: Float64Array,
  vectorsCrc32: number,
): Promise<SearchCache | null> {
  const { dir, records } = target;
  const cache = cacheRecord(target.manifest);
  // A writer's open brings the cache up to the committed rows, so this holds but after a failed open's commit.
  if (!cache || cache.rows !== records.count) return null;
  const writer = new CacheWriter(dir, cache.generation, RowQuantiser.for(target.dimension).stride, cache);
  try {
    writer.write(codes, lines);
  } catch (err) {
    writer.close();
    throw err;
  }
  const next: SearchCache = { ...cache, ...writer.finish(), vectorsCrc32 };
  if (!idTableIsStale(cache, records.count + codes.count)) return next;
  const { slots, indexed, others } = records.indexSlots;
  return { ...next, idsRows: indexed, idsOthers: others, idsCrc32: await writeIdTable(dir, cache.generation, slots) };
}

/**
 * The search cache with the id table saved as of every committed row, or null when the saved one already covers
 * them (or the cache does not reach them). A writer does this when it closes: appends save the table only once an
 * eighth of the rows are missing from it, and the next open would hash each of those again.
 */
export async function completeIdTable(
  dir: string,
  manifest: StoreManifest,
  records: RecordTable,
): Promise<SearchCache | null> {
  const cache = cacheRecord(manifest);
  if (!cache || cache.rows !== records.count || cache.idsRows === records.count) return null;
  const { slots, indexed, others } = records.indexSlots;
  return { ...cache, idsRows: indexed, idsOthers: others, idsCrc32: await writeIdTable(dir, cache.generation, slots) };
}
