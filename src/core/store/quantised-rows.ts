import * as os from 'node:os';
import { VectorTuneError } from '../errors';
import { instantiateKernel, KernelExports, MAX_PAGES, PAGE_BYTES, strideOf } from './kernel/search-kernel';
import { ScanThreads } from './kernel/scan-threads';
import type { QuantisedQuery } from './quantise';
import type { QuantisedBlock } from './quantiser';
import { crc32 } from '../util/hash';

/** Below this many rows one thread is faster than handing slices to others (a message round trip is ~0.1 ms). */
const PARALLEL_MIN_ROWS = 32768;
/**
 * At most this many threads scan: an int8 scan is bound by memory bandwidth, which a few cores saturate, and each
 * thread holds its own instance of the kernel. (Only 2 cores were available to measure it.)
 */
const MAX_SCAN_THREADS = 4;
const ALIGN = 64;

/** The two kinds of codes a row has: int8 (`stride` bytes, scanned for every query) and 4-bit (`stride / 2`). */
export type CodeKind = 'q8' | 'q4';

/**
 * The search's codes of every row, in one shared WebAssembly memory that the kernel scans, on several cores for
 * large stores: the int8 codes (¼ of float32) for the first pass over every row, and the 4-bit codes of their
 * residuals (⅛) for the second pass over the few rows the first keeps (quantise.ts). The per-row scales and norms are
 * in RowInfo; the exact float32 vectors stay in the store's file and are read only for the final short list.
 *
 * Memory layout: [query: int16 × stride][fine query: int16 × stride][dots: int32 × capacity]
 * [list: int32 × capacity][fine dots: int32 × capacity][int8 codes: stride × capacity][4-bit codes: stride/2 × capacity].
 */
export class QuantisedRows {
  readonly stride: number;
  private memory!: WebAssembly.Memory;
  private kernel!: KernelExports;
  private offsets!: Layout;
  private threads: ScanThreads | undefined;

  constructor(
    readonly dimension: number,
    readonly capacity: number,
    private readonly where: string,
  ) {
    this.stride = strideOf(dimension);
    this.allocate();
  }

  /** The largest store this layout can hold in one wasm32 memory (about 5.5M rows at 512 dimensions). */
  static maxRows(dimension: number): number {
    const stride = strideOf(dimension);
    let rows = Math.floor((MAX_PAGES * PAGE_BYTES) / (stride * 1.5 + 12));
    while (layout(stride, rows).bytes > MAX_PAGES * PAGE_BYTES) rows--;
    return rows;
  }

  /** Rows [row, row + n) from rows [from, from + n) of `block`. */
  setBlock(row: number, block: QuantisedBlock, from: number, n: number): void {
    const { stride } = this;
    this.codes('q8', row, n).set(new Uint8Array(block.q8.buffer, block.q8.byteOffset + from * stride, n * stride));
    this.codes('q4', row, n).set(block.q4.subarray((from * stride) / 2, ((from + n) * stride) / 2));
  }

  /** The bytes of rows [row, row + n)'s codes of one kind: a view to read a file into or write one from. */
  codes(kind: CodeKind, row: number, n: number): Uint8Array {
    const width = kind === 'q8' ? this.stride : this.stride / 2;
    const base = kind === 'q8' ? this.offsets.q8 : this.offsets.q4;
    return new Uint8Array(this.memory.buffer, base + row * width, n * width);
  }

  /**
   * CRC-32 of the first `n` rows' codes of one kind (as the search cache's files hold them): on a helper thread for
   * a large store, so that checking a million rows' codes (0.46 GB) does not hold up the thread that opened it.
   */
  async checksum(kind: CodeKind, n: number): Promise<number> {
    const bytes = this.codes(kind, 0, n);
    const slices = Math.min(MAX_SCAN_THREADS, os.availableParallelism());
    if (n < PARALLEL_MIN_ROWS || slices < 2) return crc32(bytes);
    this.threads ??= new ScanThreads(slices - 1);
    this.threads.use(this.memory);
    return this.threads.crc32(bytes.byteOffset, bytes.byteLength);
  }

  /** A copy with room for at least `rows` rows, holding the first `used` rows of this one. */
  grown(rows: number, used: number): QuantisedRows {
    const bigger = new QuantisedRows(this.dimension, rows, this.where);
    for (const kind of ['q8', 'q4'] as const) bigger.codes(kind, 0, used).set(this.codes(kind, 0, used));
    bigger.threads = this.threads; // the helper threads move over with the rows
    this.threads = undefined;
    return bigger;
  }

  /** Integer dot products q·p of rows [0, count) with the query; the view is valid until the next call. */
  async dots(query: QuantisedQuery, count: number): Promise<Int32Array> {
    const { offsets, stride } = this;
    new Int16Array(this.memory.buffer, offsets.query, stride).set(query.values);
    const slices = count >= PARALLEL_MIN_ROWS ? Math.min(MAX_SCAN_THREADS, os.availableParallelism()) : 1;
    const per = Math.ceil(count / slices);
    const job = (i: number) => {
      const start = Math.min(count, i * per);
      const n = Math.min(count, start + per) - start;
      return {
        query: offsets.query,
        rows: offsets.q8 + start * stride,
        out: offsets.dots + start * 4,
        count: n,
        stride,
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
    return new Int32Array(this.memory.buffer, offsets.dots, count);
  }

  /**
   * Integer dot products f·p of the listed rows' 4-bit codes with the query (out[i] for rows[i]); the view is valid
   * until the next call. The kernel pairs 16 bytes of codes (dimensions 2t, 2t + 1 in byte t) with 32 int16s of the
   * query, so the query goes in de-interleaved per 32 dimensions: the even ones, then the odd ones.
   */
  fineDots(query: QuantisedQuery, rows: ArrayLike<number>): Int32Array {
    const { offsets, stride } = this;
    const fine = new Int16Array(this.memory.buffer, offsets.fineQuery, stride);
    for (let block = 0; block < stride; block += 32) {
      for (let t = 0; t < 16; t++) {
        fine[block + t] = query.values[block + 2 * t];
        fine[block + 16 + t] = query.values[block + 2 * t + 1];
      }
    }
    new Int32Array(this.memory.buffer, offsets.list, rows.length).set(rows);
    this.kernel.fineDots(offsets.fineQuery, offsets.q4, offsets.list, offsets.fineDots, rows.length, stride);
    return new Int32Array(this.memory.buffer, offsets.fineDots, rows.length);
  }

  async close(): Promise<void> {
    await this.threads?.close();
    this.threads = undefined;
  }

  private allocate(): void {
    this.offsets = layout(this.stride, this.capacity);
    const pages = Math.max(1, Math.ceil(this.offsets.bytes / PAGE_BYTES));
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
  }
}

interface Layout {
  query: number;
  fineQuery: number;
  dots: number;
  list: number;
  fineDots: number;
  q8: number;
  q4: number;
  bytes: number;
}

function layout(stride: number, capacity: number): Layout {
  const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
  const query = 0;
  const fineQuery = align(stride * 2);
  const dots = align(fineQuery + stride * 2);
  const list = align(dots + capacity * 4);
  const fineDots = align(list + capacity * 4);
  const q8 = align(fineDots + capacity * 4);
  const q4 = align(q8 + capacity * stride);
  return { query, fineQuery, dots, list, fineDots, q8, q4, bytes: q4 + (capacity * stride) / 2 };
}
