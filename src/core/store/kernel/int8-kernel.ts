import { INT8_DOT_WASM_BASE64 } from './int8-dot-wasm';

/** The compiled kernel; compiled once per process (and sent, compiled, to scan threads). */
let compiled: WebAssembly.Module | undefined;

export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(INT8_DOT_WASM_BASE64, 'base64'));
  return compiled;
}

export interface KernelExports {
  /** out[r] = Σ rows[r][i]·query[i] (int8 rows × int16 query → int32), for `count` rows of `stride` bytes. */
  dots(queryOffset: number, rowsOffset: number, outOffset: number, count: number, stride: number): void;
}

export function instantiateKernel(memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(kernelModule(), { env: { memory } }).exports as unknown as KernelExports;
}

/** 64 KiB WebAssembly pages; a wasm32 memory holds at most 65,536 of them (4 GiB). */
export const PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;
