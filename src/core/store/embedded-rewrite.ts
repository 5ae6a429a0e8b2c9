import { writeFileAtomic } from '../fs/durable';
import { crc32 } from '../util/hash';
import { storeFiles } from './embedded-files';
import { QuantisedRows } from './quantised-rows';
import { encodeRecords, pickMeta } from './records-file';
import type { RecordMeta, VectorRecord } from './types';
import { type VectorFile, writeRows } from './vector-file';

/** Rows per read-and-write step of a rewrite (16 MiB of 512-d float32). */
const COPY_ROWS = 8192;

/** The generation a rewrite starts from. */
export interface Generation {
  dir: string;
  dimension: number;
  rows: QuantisedRows;
  file: VectorFile;
  records: readonly RecordMeta[];
  has: (id: string) => boolean;
}

/** A new generation's files, written but not yet committed, and its in-memory rows. */
export interface WrittenGeneration {
  rows: QuantisedRows;
  records: RecordMeta[];
  count: number;
  recordsBytes: number;
  vectorsCrc32: number;
  recordsCrc32: number;
}

/**
 * Replacements or deletions: writes generation `generation` whole (vectors then records, each fsynced) from the
 * current one, changed by `upserts` and `deleted`. Kept rows are copied from the old file a chunk at a time (never
 * all of it in memory) and keep their int8 rows. The caller commits it with the manifest; until then the current
 * generation stays the store, and on failure the new rows are closed here.
 */
export async function writeGeneration(
  current: Generation,
  generation: number,
  upserts: VectorRecord[],
  deleted: ReadonlySet<string>,
): Promise<WrittenGeneration> {
  const d = current.dimension;
  const replacing = new Map(upserts.map((r) => [r.id, r]));
  const keptRows = current.records.map((r, row) => row).filter((row) => !deleted.has(current.records[row].id));
  const added = upserts.filter((r) => !current.has(r.id));
  const count = keptRows.length + added.length;
  const rows = new QuantisedRows(d, Math.max(count, 1024), current.dir);
  const records: RecordMeta[] = [];
  try {
    const vectorsCrc32 = writeRows(storeFiles.vectors(current.dir, generation), count, d, (emit) => {
      for (let i = 0; i < keptRows.length; i += COPY_ROWS) {
        const slice = keptRows.slice(i, i + COPY_ROWS);
        const block = current.file.readRows(slice);
        slice.forEach((row, j) => {
          const replacement = replacing.get(current.records[row].id);
          if (replacement) {
            block.set(replacement.vector, j * d);
            rows.set(i + j, block, j * d);
          } else {
            rows.copyRow(current.rows, row, i + j);
          }
          records.push(replacement ? pickMeta(replacement) : current.records[row]);
        });
        emit(block);
      }
      const block = new Float32Array(added.length * d);
      added.forEach((r, i) => {
        block.set(r.vector, i * d);
        rows.set(keptRows.length + i, block, i * d);
        records.push(pickMeta(r));
      });
      emit(block);
    });
    const recordText = Buffer.from(encodeRecords(records), 'utf8');
    await writeFileAtomic(storeFiles.records(current.dir, generation), recordText);
    return {
      rows,
      records,
      count,
      recordsBytes: recordText.byteLength,
      vectorsCrc32,
      recordsCrc32: crc32(recordText),
    };
  } catch (err) {
    await rows.close();
    throw err;
  }
}
