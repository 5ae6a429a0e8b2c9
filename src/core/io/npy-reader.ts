import { promises as fs } from 'node:fs';
import { VectorTuneError } from '../errors';
import { decodeInto, fsError, HOST_LITTLE_ENDIAN, matrixShape, readAt } from './npy';
import { checkDataLength, dataOffset, type NpyHeader, parseHeader } from './npy-header';

/** Rows within this many of each other are read in one go when asked for out of order (cheaper than two reads). */
const READ_THROUGH = 16;

/**
 * Reads the rows of an N x D .npy matrix (npy.ts has the format) a block at a time, converted to float32, so a
 * matrix larger than memory can be imported: the header is checked as readNpy checks it. C order reads a block of
 * rows at once; Fortran order (columns one after another, as np.save writes a transposed array without copying)
 * reads each column's part of the block and interleaves them.
 */
export class NpyReader {
  private constructor(
    readonly file: string,
    private readonly handle: fs.FileHandle,
    private readonly header: NpyHeader,
    private readonly dataStart: number,
    readonly rows: number,
    readonly dim: number,
  ) {}

  static async open(file: string): Promise<NpyReader> {
    const handle = await fs.open(file, 'r').catch((e: unknown) => {
      throw fsError(e, file, 'read');
    });
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new VectorTuneError('is not a file.', file);
      const total = stat.size;
      const { version, offset } = dataOffset(await readAt(handle, 0, Math.min(12, total), file), total, file);
      const header = parseHeader(await readAt(handle, 0, offset, file), version, file);
      checkDataLength(header, total - offset, file);
      const [rows, dim] = matrixShape(header.shape, file);
      return new NpyReader(file, handle, header, offset, rows, dim);
    } catch (e) {
      await handle.close();
      throw e instanceof VectorTuneError ? e : fsError(e, file, 'read');
    }
  }

  get dtype(): string {
    return this.header.dtype;
  }

  /** Bytes of one value in the file (2, 4 or 8). */
  get itemSize(): number {
    return this.header.itemSize;
  }

  /**
   * Rows [start, start + count), row-major; into `into` when given (a buffer used again, so that streaming a large
   * matrix does not allocate 16 MB a step for the garbage collector to free), which must hold count rows.
   */
  async readRange(start: number, count: number, into?: Float32Array<ArrayBuffer>): Promise<Float32Array> {
    const { dim, header } = this;
    const out = into ? into.subarray(0, count * dim) : new Float32Array(count * dim);
    if (!header.fortranOrder) {
      const position = this.dataStart + start * dim * header.itemSize;
      if (header.itemSize === 4 && header.littleEndian && HOST_LITTLE_ENDIAN) {
        await this.read(position, out.byteLength, new Uint8Array(out.buffer, out.byteOffset, out.byteLength)); // straight in
      } else {
        const bytes = await this.read(position, count * dim * header.itemSize);
        decodeInto(out, 0, bytes, header, this.file, start * dim);
      }
      return out;
    }
    const column = new Float32Array(count);
    for (let j = 0; j < dim; j++) {
      const bytes = await this.read(
        this.dataStart + (j * this.rows + start) * header.itemSize,
        count * header.itemSize,
      );
      decodeInto(column, 0, bytes, header, this.file, j * this.rows + start);
      for (let i = 0; i < count; i++) out[i * dim + j] = column[i];
    }
    return out;
  }

  /** The given rows in the order given (row i of the result is rows[i]); nearby rows are read together. */
  async readRows(rows: ArrayLike<number>): Promise<Float32Array> {
    const { dim } = this;
    // Consecutive rows (an import without a row column): one range, read straight into the result.
    let consecutive = true;
    for (let i = 1; i < rows.length && consecutive; i++) consecutive = rows[i] === rows[i - 1] + 1;
    if (consecutive && rows.length > 0) return this.readRange(rows[0], rows.length);
    const out = new Float32Array(rows.length * dim);
    const order = Array.from({ length: rows.length }, (_, i) => i).sort((a, b) => rows[a] - rows[b]);
    for (let i = 0; i < order.length;) {
      // A span of sorted rows with no gap wider than READ_THROUGH, read as one range.
      let j = i + 1;
      while (j < order.length && rows[order[j]] - rows[order[j - 1]] <= READ_THROUGH) j++;
      const first = rows[order[i]];
      const block = await this.readRange(first, rows[order[j - 1]] - first + 1);
      for (let k = i; k < j; k++) {
        const from = (rows[order[k]] - first) * dim;
        out.set(block.subarray(from, from + dim), order[k] * dim);
      }
      i = j;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async read(position: number, length: number, into?: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    try {
      return await readAt(this.handle, position, length, this.file, into);
    } catch (e) {
      throw e instanceof VectorTuneError ? e : fsError(e, this.file, 'read');
    }
  }
}
