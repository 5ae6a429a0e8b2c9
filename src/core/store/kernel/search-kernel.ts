import { SEARCH_KERNEL_WASM_BASE64 } from './search-kernel-wasm';

/** The compiled kernel; compiled once per process (and sent, compiled, to scan threads). */
let compiled: WebAssembly.Module | undefined;

export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(SEARCH_KERNEL_WASM_BASE64, 'base64'));
  return compiled;
}

/** The kernel's functions (search-kernel.wat); every argument but a count or a stride is a byte offset in its memory. */
export interface KernelExports {
  /** out[r] = Σ rows[r][i]·query[i] (int8 rows × int16 query → int32), for `count` rows of `stride` bytes. */
  dots(queryOffset: number, rowsOffset: number, outOffset: number, count: number, stride: number): void;
  /** out[i] = Σ fine[list[i]][j]·query[j] over the 4-bit codes (stride / 2 bytes per row) of the listed rows. */
  fineDots(
    queryOffset: number,
    fineOffset: number,
    listOffset: number,
    outOffset: number,
    count: number,
    stride: number,
  ): void;
  /** int8 codes, 4-bit residual codes and 20 bytes of norms and checksum per row, from float32 rows of `stride` floats. */
  quantise(
    srcOffset: number,
    count: number,
    stride: number,
    q8Offset: number,
    q4Offset: number,
    infoOffset: number,
  ): void;
  /** out[r] = the checksum `quantise` gives row r. */
  checksums(srcOffset: number, count: number, stride: number, outOffset: number): void;
}

export function instantiateKernel(memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(kernelModule(), { env: { memory } }).exports as unknown as KernelExports;
}

/** 64 KiB WebAssembly pages; a wasm32 memory holds at most 65,536 of them (4 GiB). */
export const PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;

/** Row length of the kernels: the dimension rounded up to their 32-dimension step (padding is zero). */
export function strideOf(dimension: number): number {
  return Math.ceil(dimension / 32) * 32;
}
