import * as fs from 'node:fs';
import { VectorTuneError } from '../errors';
import { writeError } from '../fs/write-errors';
import { crc32 } from '../util/hash';
import { RowQuantiser } from './quantiser';

/** Rows per read when streaming the whole file: 8,192 × 512-d float32 = 16 MiB. */
const CHUNK_ROWS = 8192;

/**
 * Reads rows of a store's `vectors-<gen>.f32` (row-major float32) on demand. The embedded store keeps only quantised
 * codes in memory; exact values come from here: the search's short list, `fetch`, and rewrites. Reads are synchronous
 * and small (a short list is tens to thousands of rows; the OS page cache serves them), which keeps the search free of
 * awaits. Once `checksumOf` is set, every row read is checked against the checksum recorded when it was quantised:
 * the store opens without reading this file (its search cache holds what opening needs), so a byte changed after it
 * was written is caught when its row is used.
 */
export class VectorFile {
  private fd: number | undefined;
  /** The recorded checksum of a row; unset while the store is being read to build its cache (a CRC covers that). */
  checksumOf: ((row: number) => number) | undefined;

  constructor(
    readonly file: string,
    readonly dimension: number,
  ) {}

  /** Rows `rows` (any order) as one Float32Array, row i of the result = rows[i]. */
  readRows(rows: ArrayLike<number>): Float32Array {
    const d = this.dimension;
    const out = new Float32Array(rows.length * d);
    const bytes = new Uint8Array(out.buffer);
    for (let i = 0; i < rows.length; i++) this.readInto(bytes, i * d * 4, d * 4, rows[i] * d * 4);
    this.verify(out, (i) => rows[i]);
    return out;
  }

  /** `count` rows from row `start`. */
  readRange(start: number, count: number): Float32Array {
    const out = new Float32Array(count * this.dimension);
    this.readInto(new Uint8Array(out.buffer), 0, out.byteLength, start * this.dimension * 4);
    this.verify(out, (i) => start + i);
    return out;
  }

  private verify(vectors: Float32Array, rowAt: (i: number) => number): void {
    const expected = this.checksumOf;
    if (!expected) return;
    const count = vectors.length / this.dimension;
    const actual = RowQuantiser.for(this.dimension).checksums(vectors, count);
    for (let i = 0; i < count; i++) {
      if (actual[i] !== expected(rowAt(i))) {
        throw new VectorTuneError(
          `row ${rowAt(i)} of the vectors file does not match its checksum: its bytes changed after they were written.`,
          this.file,
          'The store is damaged; it is rebuildable: delete its folder and index again.',
        );
      }
    }
  }

  /** Rows [from, count), a chunk at a time. */
  *chunks(count: number, from = 0, chunkRows = CHUNK_ROWS): Generator<{ start: number; vectors: Float32Array }> {
    for (let start = from; start < count; start += chunkRows) {
      yield { start, vectors: this.readRange(start, Math.min(chunkRows, count - start)) };
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private readInto(target: Uint8Array, offset: number, length: number, position: number): void {
    this.fd ??= this.open();
    let done = 0;
    while (done < length) {
      // One read of more than 2 GiB aborts Node: read in pieces of at most 1 GiB.
      const n = this.read(target, offset + done, Math.min(length - done, 1 << 30), position + done);
      if (n === 0) {
        throw new VectorTuneError(
          `the store's vectors file ends at byte ${position + done}, before the rows its manifest lists.`,
          this.file,
          'The store is damaged; delete its folder and index again.',
        );
      }
      done += n;
    }
  }

  private read(target: Uint8Array, offset: number, length: number, position: number): number {
    try {
      return fs.readSync(this.fd!, target, offset, length, position);
    } catch (err) {
      throw new VectorTuneError(
        `the store's vectors file cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
        this.file,
        'The store is damaged; delete its folder and index again.',
      );
    }
  }

  private open(): number {
    try {
      return fs.openSync(this.file, 'r');
    } catch (err) {
      throw new VectorTuneError(
        `a store data file cannot be opened (${(err as NodeJS.ErrnoException).code}).`,
        this.file,
        'Delete the store folder and index again.',
      );
    }
  }
}

/**
 * Writes a new vectors file from blocks that `produce` emits in row order, then fsyncs it. The file is a new
 * generation's, which no manifest names yet, so a kill part-way leaves only a leftover that the next writer removes.
 * Returns the CRC-32 of the bytes written.
 */
export function writeRows(
  file: string,
  rows: number,
  dimension: number,
  produce: (emit: (block: Float32Array) => void) => void,
): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (err) {
    throw writeError(err, file);
  }
  let written = 0;
  let checksum = 0;
  try {
    produce((block) => {
      const bytes = new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
      checksum = crc32(bytes, checksum);
      for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      written += block.length / dimension;
    });
    if (written !== rows) throw new Error(`internal: wrote ${written} rows of ${rows}`);
    fs.fsyncSync(fd);
  } catch (err) {
    throw writeError(err, file);
  } finally {
    fs.closeSync(fd);
  }
  return checksum;
}
