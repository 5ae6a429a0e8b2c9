import { instantiateKernel, type KernelExports, PAGE_BYTES, strideOf } from './kernel/search-kernel';

/**
 * Row quantisation for the search (quantise.ts has the arithmetic and its bounds), run by the WebAssembly kernel on
 * a small memory of its own: a million 512-d rows take seconds instead of the half a minute plain JavaScript needs.
 * Every vector written to the embedded store passes through here once, and the results are kept in its search
 * cache (search-cache.ts), so opening a store never quantises what it already did.
 */

/** Bytes of per-row numbers: scale, ‖s·q‖, ‖r‖, ‖r₂‖ (float32) and the row checksum (uint32). */
export const ROW_INFO_BYTES = 20;
export const ROW_INFO_FIELDS = ROW_INFO_BYTES / 4;

/** The quantised form of a block of rows. */
export interface QuantisedBlock {
  count: number;
  /** int8 codes, `stride` bytes per row. */
  q8: Int8Array;
  /** 4-bit residual codes, `stride / 2` bytes per row (layout in search-kernel.wat). */
  q4: Uint8Array;
  /** ROW_INFO_BYTES per row. */
  info: Uint8Array;
}

/** Rows handed to the kernel per call: 1,024 x 512-d is 2 MiB of float32 in, 1.5 MiB of codes out. */
const ROWS_PER_CALL = 1024;

/**
 * The longest vectors the search takes: the query's int16 codes keep |p| up to 2^31 / (127 · stride) (quantise.ts),
 * 258 levels at this length; embedding models stay far below it (CLIP: 512 or 768).
 */
export const MAX_DIMENSION = 65536;

export class RowQuantiser {
  readonly stride: number;
  private readonly kernel: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly src: Float32Array;
  private readonly srcOffset = 0;
  private readonly q8Offset: number;
  private readonly q4Offset: number;
  private readonly infoOffset: number;

  private constructor(readonly dimension: number) {
    this.stride = strideOf(dimension);
    this.q8Offset = ROWS_PER_CALL * this.stride * 4;
    this.q4Offset = this.q8Offset + ROWS_PER_CALL * this.stride;
    this.infoOffset = this.q4Offset + (ROWS_PER_CALL * this.stride) / 2;
    const pages = Math.ceil((this.infoOffset + ROWS_PER_CALL * ROW_INFO_BYTES) / PAGE_BYTES);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.kernel = instantiateKernel(this.memory);
    this.src = new Float32Array(this.memory.buffer, this.srcOffset, ROWS_PER_CALL * this.stride);
  }

  private static readonly byDimension = new Map<number, RowQuantiser>();

  /** One per dimension and process (its memory is reused by every call). */
  static for(dimension: number): RowQuantiser {
    let q = RowQuantiser.byDimension.get(dimension);
    if (!q) {
      q = new RowQuantiser(dimension);
      RowQuantiser.byDimension.set(dimension, q);
    }
    return q;
  }

  /** Quantises `count` rows of `dimension` floats from `vectors` (row-major, from row 0). */
  quantise(vectors: Float32Array, count: number): QuantisedBlock {
    const { stride } = this;
    const out: QuantisedBlock = {
      count,
      q8: new Int8Array(count * stride),
      q4: new Uint8Array((count * stride) / 2),
      info: new Uint8Array(count * ROW_INFO_BYTES),
    };
    const bytes = new Uint8Array(this.memory.buffer);
    for (let done = 0; done < count; done += ROWS_PER_CALL) {
      const n = Math.min(ROWS_PER_CALL, count - done);
      this.stage(vectors, done, n);
      this.kernel.quantise(this.srcOffset, n, stride, this.q8Offset, this.q4Offset, this.infoOffset);
      out.q8.set(new Int8Array(this.memory.buffer, this.q8Offset, n * stride), done * stride);
      out.q4.set(bytes.subarray(this.q4Offset, this.q4Offset + (n * stride) / 2), (done * stride) / 2);
      out.info.set(bytes.subarray(this.infoOffset, this.infoOffset + n * ROW_INFO_BYTES), done * ROW_INFO_BYTES);
    }
    return out;
  }

  /** The checksums `quantise` records, of `count` rows of `vectors`. */
  checksums(vectors: Float32Array, count: number): Uint32Array {
    const out = new Uint32Array(count);
    for (let done = 0; done < count; done += ROWS_PER_CALL) {
      const n = Math.min(ROWS_PER_CALL, count - done);
      this.stage(vectors, done, n);
      this.kernel.checksums(this.srcOffset, n, this.stride, this.q8Offset);
      out.set(new Uint32Array(this.memory.buffer, this.q8Offset, n), done);
    }
    return out;
  }

  /** Copies rows [from, from + n) into the kernel's input, each padded with zeros to the stride. */
  private stage(vectors: Float32Array, from: number, n: number): void {
    const { dimension: d, stride } = this;
    if (d === stride) {
      this.src.set(vectors.subarray(from * d, (from + n) * d));
      return;
    }
    this.src.fill(0, 0, n * stride);
    for (let i = 0; i < n; i++) this.src.set(vectors.subarray((from + i) * d, (from + i + 1) * d), i * stride);
  }
}
