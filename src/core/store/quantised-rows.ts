import * as os from 'node:os';
import { VectorTuneError } from '../errors';
import { instantiateKernel, KernelExports, MAX_PAGES, PAGE_BYTES } from './kernel/int8-kernel';
import { ScanThreads } from './kernel/scan-threads';
import { QuantisedQuery, quantiseRow } from './quantise';

/** Below this many rows one thread is faster than handing slices to others (a message round trip is ~0.1 ms). */
const PARALLEL_MIN_ROWS = 32768;
/**
 * At most this many threads scan: an int8 scan is bound by memory bandwidth, which a few cores saturate, and each
 * thread holds its own instance of the kernel. (Only 2 cores were available to measure it.)
 */
const MAX_SCAN_THREADS = 4;
const ALIGN = 64;

/**
 * The in-memory side of the embedded store: every row as int8 (¼ of float32) plus three float32s per row for the
 * error bound, in one shared WebAssembly memory that the kernel scans, on several cores for large stores. The exact
 * float32 vectors stay in the store's file and are read only for the short list (exact-search.ts).
 *
 * Memory layout: [query: int16 × stride][dot products: int32 × capacity][rows: int8 × stride × capacity].
 */
export class QuantisedRows {
  /** Row length in bytes: the dimension rounded up to the kernel's 32-byte step (padding is zero). */
  readonly stride: number;
  readonly scale: Float32Array;
  readonly quantisedNorm: Float32Array;
  readonly residualNorm: Float32Array;
  private memory!: WebAssembly.Memory;
  /** The whole memory as bytes (one view, made once: a view per row costs more than quantising it). */
  private bytes!: Int8Array;
  private kernel!: KernelExports;
  private queryOffset = 0;
  private outOffset = 0;
  private rowsOffset = 0;
  private threads: ScanThreads | undefined;

  constructor(
    readonly dimension: number,
    readonly capacity: number,
    private readonly where: string,
  ) {
    this.stride = Math.ceil(dimension / 32) * 32;
    this.scale = new Float32Array(capacity);
    this.quantisedNorm = new Float32Array(capacity);
    this.residualNorm = new Float32Array(capacity);
    this.allocate();
  }

  /** The largest store this layout can hold in one wasm32 memory (about 8M rows at 512 dimensions). */
  static maxRows(dimension: number): number {
    const stride = Math.ceil(dimension / 32) * 32;
    let rows = Math.floor((MAX_PAGES * PAGE_BYTES) / (stride + 4));
    while (layout(stride, rows).bytes > MAX_PAGES * PAGE_BYTES) rows--;
    return rows;
  }

  /** Quantises row `row` from `source` at `offset`. */
  set(row: number, source: Float32Array, offset: number): void {
    const q = quantiseRow(source, offset, this.dimension, this.bytes, this.rowsOffset + row * this.stride);
    this.scale[row] = q.scale;
    this.quantisedNorm[row] = q.quantisedNorm;
    this.residualNorm[row] = q.residualNorm;
  }

  /** Copies row `from` of `other` (same dimension) into row `to`, without quantising again. */
  copyRow(other: QuantisedRows, from: number, to: number): void {
    const source = new Int8Array(other.memory.buffer, other.rowsOffset + from * this.stride, this.stride);
    new Int8Array(this.memory.buffer, this.rowsOffset + to * this.stride, this.stride).set(source);
    this.scale[to] = other.scale[from];
    this.quantisedNorm[to] = other.quantisedNorm[from];
    this.residualNorm[to] = other.residualNorm[from];
  }

  /** A copy with room for at least `rows` rows, holding the first `used` rows of this one. */
  grown(rows: number, used: number): QuantisedRows {
    const bigger = new QuantisedRows(this.dimension, rows, this.where);
    const bytes = used * this.stride;
    new Int8Array(bigger.memory.buffer, bigger.rowsOffset, bytes).set(
      new Int8Array(this.memory.buffer, this.rowsOffset, bytes),
    );
    bigger.scale.set(this.scale.subarray(0, used));
    bigger.quantisedNorm.set(this.quantisedNorm.subarray(0, used));
    bigger.residualNorm.set(this.residualNorm.subarray(0, used));
    bigger.threads = this.threads; // the helper threads move over with the rows
    this.threads = undefined;
    return bigger;
  }

  /** Integer dot products q·p of rows [0, count) with the query; the view is valid until the next call. */
  async dots(query: QuantisedQuery, count: number): Promise<Int32Array> {
    new Int16Array(this.memory.buffer, this.queryOffset, this.stride).set(query.values);
    const slices = count >= PARALLEL_MIN_ROWS ? Math.min(MAX_SCAN_THREADS, os.availableParallelism()) : 1;
    const per = Math.ceil(count / slices);
    const job = (i: number) => {
      const start = Math.min(count, i * per);
      const n = Math.min(count, start + per) - start;
      return {
        query: this.queryOffset,
        rows: this.rowsOffset + start * this.stride,
        out: this.outOffset + start * 4,
        count: n,
        stride: this.stride,
      };
    };
    if (slices > 1) {
      this.threads ??= new ScanThreads(slices - 1);
      this.threads.use(this.memory);
      const helpers = this.threads.run(Array.from({ length: slices - 1 }, (_, i) => job(i + 1)));
      const mine = job(0);
      // This thread scans the first slice while the helpers scan the rest.
      this.kernel.dots(mine.query, mine.rows, mine.out, mine.count, mine.stride);
      await helpers;
    } else {
      const all = job(0);
      this.kernel.dots(all.query, all.rows, all.out, all.count, all.stride);
    }
    return new Int32Array(this.memory.buffer, this.outOffset, count);
  }

  async close(): Promise<void> {
    await this.threads?.close();
    this.threads = undefined;
  }

  private allocate(): void {
    const { outOffset, rowsOffset, bytes } = layout(this.stride, this.capacity);
    this.queryOffset = 0;
    this.outOffset = outOffset;
    this.rowsOffset = rowsOffset;
    const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
    if (pages > MAX_PAGES) {
      throw new VectorTuneError(
        `the embedded store holds at most ${QuantisedRows.maxRows(this.dimension).toLocaleString('en')} vectors of ${this.dimension} dimensions; ${this.capacity.toLocaleString('en')} were asked for.`,
        this.where,
        'Use the Pinecone store (vectorTune.store = "pinecone") for a collection this large.',
      );
    }
    // Shared, so helper threads scan the same bytes. It never grows in place (`grown` makes a new one).
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.kernel = instantiateKernel(this.memory);
    this.bytes = new Int8Array(this.memory.buffer);
  }
}

function layout(stride: number, capacity: number): { outOffset: number; rowsOffset: number; bytes: number } {
  const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
  const outOffset = align(stride * 2);
  const rowsOffset = align(outOffset + capacity * 4);
  return { outOffset, rowsOffset, bytes: rowsOffset + capacity * stride };
}
