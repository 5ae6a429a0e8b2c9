/**
 * Reads and writes NumPy .npy files (format versions 1.0, 2.0, 3.0) holding float16/32/64 arrays in either
 * byte order, always returning float32. Malformed files are refused with a VectorTuneError that names the
 * file and says exactly what is wrong; nothing is ever unpickled.
 *
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *   "\x93NUMPY" major minor, header length (u16 LE for 1.0, u32 LE for 2.0/3.0), then an ASCII (3.0: UTF-8)
 *   Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), } padded with spaces and '\n',
 *   then the raw data.
 * Fortran-ordered arrays are accepted and reordered to C order (row-major), so callers never see the difference.
 */
import { promises as fs } from 'node:fs';
import { VectorTuneError } from '../errors';
import { halfToFloat32BitsTable } from './float16';
import { checkDataLength, dataOffset, fmt, fmtShape, MAGIC, type NpyHeader, parseHeader } from './npy-header';

export interface NpyArray {
  shape: number[];
  /** As written in the header, e.g. '<f4' or '>f2'; `data` is float32 whatever this says. */
  dtype: string;
  /** All values in C (row-major) order. */
  data: Float32Array;
}

export interface Matrix {
  rows: number;
  dim: number;
  data: Float32Array;
}

/** Large files are read and converted in slices of this size, so no second full-size buffer is needed. */
const CHUNK_BYTES = 64 << 20;
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function allocate(count: number, file: string): Float32Array<ArrayBuffer> {
  try {
    return new Float32Array(count);
  } catch {
    throw new VectorTuneError(
      `is too large to load: ${fmt(count)} values need ${fmt(Math.ceil((count * 4) / 2 ** 20))} MB as float32.`,
      file,
    );
  }
}

/**
 * Converts `src` (whole elements of the header's dtype) into float32 at dst[at...]. Works on bit patterns
 * through typed-array views and a DataView, so it allocates nothing per element and keeps float32 bits exact.
 */
export function decodeInto(
  dst: Float32Array,
  at: number,
  src: Uint8Array,
  h: NpyHeader,
  file: string,
  /** The flat index in the file of src's first value, for messages (when src is not the file's data from `at`). */
  firstIndex = at,
): void {
  const n = src.length / h.itemSize;
  const bits = new Uint32Array(dst.buffer, dst.byteOffset + at * 4, n);
  if (h.itemSize === 4 && h.littleEndian && HOST_LITTLE_ENDIAN) {
    new Uint8Array(bits.buffer, bits.byteOffset, n * 4).set(src); // plain copy, any alignment of src
    return;
  }
  const view = new DataView(src.buffer, src.byteOffset, src.length);
  const le = h.littleEndian;
  if (h.itemSize === 4) {
    for (let i = 0; i < n; i++) bits[i] = view.getUint32(i * 4, le);
  } else if (h.itemSize === 2) {
    const table = halfToFloat32BitsTable();
    for (let i = 0; i < n; i++) bits[i] = table[view.getUint16(i * 2, le)];
  } else {
    const out = dst.subarray(at, at + n);
    for (let i = 0; i < n; i++) {
      const v = view.getFloat64(i * 8, le);
      out[i] = v;
      // Rounding to float32 turns |v| > 3.4e38 into infinity; say so rather than invent an infinite value.
      if (!Number.isFinite(out[i]) && Number.isFinite(v)) {
        throw new VectorTuneError(
          `value ${v} at flat index ${fmt(firstIndex + i)} is too large for float32.`,
          file,
          'Scale the embeddings or save them as float32.',
        );
      }
    }
  }
}

/** Fortran order stores the first axis fastest; reorder to C order by walking the source with an odometer. */
function fortranToC(src: Float32Array, shape: number[]): Float32Array {
  if (shape.length < 2) return src;
  const out = new Float32Array(src.length);
  const from = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const to = new Uint32Array(out.buffer);
  const strides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1)); // C-order strides
  const index = shape.map(() => 0);
  let c = 0;
  for (let f = 0; f < from.length; f++) {
    to[c] = from[f];
    for (let k = 0; k < shape.length; k++) {
      c += strides[k];
      if (++index[k] < shape[k]) break;
      c -= strides[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}

function finish(h: NpyHeader, data: Float32Array): NpyArray {
  return { shape: h.shape, dtype: h.dtype, data: h.fortranOrder ? fortranToC(data, h.shape) : data };
}

/** Parses a whole .npy file already in memory. The result never shares memory with `bytes`. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const { version, offset } = dataOffset(bytes.subarray(0, 12), bytes.length, file);
  const h = parseHeader(bytes.subarray(0, offset), version, file);
  checkDataLength(h, bytes.length - offset, file);
  const data = allocate(h.count, file);
  decodeInto(data, 0, bytes.subarray(offset), h, file);
  return finish(h, data);
}

/**
 * Reads a .npy file. Rather than one readFile (capped at 2 GB and needing a second buffer for conversion),
 * it reads the header, allocates the float32 result once, and reads the data into it in slices.
 */
export async function readNpy(file: string): Promise<NpyArray> {
  const handle = await fs.open(file, 'r').catch((e: unknown) => {
    throw fsError(e, file, 'read');
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new VectorTuneError('is not a file.', file);
    const total = stat.size;
    const start = await readAt(handle, 0, Math.min(12, total), file);
    const { version, offset } = dataOffset(start, total, file);
    const h = parseHeader(await readAt(handle, 0, offset, file), version, file);
    checkDataLength(h, total - offset, file);
    const data = allocate(h.count, file);
    const perChunk = Math.floor(CHUNK_BYTES / h.itemSize);
    for (let done = 0; done < h.count; done += perChunk) {
      const n = Math.min(perChunk, h.count - done);
      const position = offset + done * h.itemSize;
      if (h.itemSize === 4 && h.littleEndian && HOST_LITTLE_ENDIAN) {
        await readAt(handle, position, n * 4, file, new Uint8Array(data.buffer, done * 4, n * 4)); // straight in
      } else {
        decodeInto(data, done, await readAt(handle, position, n * h.itemSize, file), h, file);
      }
    }
    return finish(h, data);
  } catch (e) {
    throw e instanceof VectorTuneError ? e : fsError(e, file, 'read');
  } finally {
    await handle.close();
  }
}

export async function readAt(
  handle: fs.FileHandle,
  position: number,
  length: number,
  file: string,
  into = new Uint8Array(length),
): Promise<Uint8Array> {
  for (let got = 0; got < length;) {
    const { bytesRead } = await handle.read(into, got, length - got, position + got);
    if (bytesRead === 0)
      throw new VectorTuneError('became shorter while being read; was it still being written?', file);
    got += bytesRead;
  }
  return into;
}

export function fsError(e: unknown, file: string, verb: 'read' | 'write'): VectorTuneError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new VectorTuneError('does not exist.', file);
  if (code === 'EISDIR') return new VectorTuneError('is a folder, not a file.', file);
  if (code === 'EACCES' || code === 'EPERM')
    return new VectorTuneError(`cannot be ${verb === 'read' ? 'read' : 'written'}: permission denied.`, file);
  return new VectorTuneError(
    `could not be ${verb === 'read' ? 'read' : 'written'}: ${e instanceof Error ? e.message : String(e)}`,
    file,
  );
}

/** Checks that an array is an N x D matrix of finite numbers, as embeddings must be. */
export function asMatrix(arr: NpyArray, file: string): Matrix {
  const [rows, dim] = matrixShape(arr.shape, file);
  checkFinite(arr.data, 0, dim, file);
  return { rows, dim, data: arr.data };
}

/** (N, D) of a 2-D shape; other shapes are refused with what to do. */
export function matrixShape(shape: number[], file: string): [number, number] {
  if (shape.length !== 2) {
    throw new VectorTuneError(
      `holds an array of shape ${fmtShape(shape)}; embeddings must be 2-D (N vectors x D dimensions).`,
      file,
      shape.length === 1 ? 'For a single vector, save arr.reshape(1, -1).' : 'Reshape it to (N, D) before saving.',
    );
  }
  return [shape[0], shape[1]];
}

/** Refuses the first non-finite value of `data`, rows of `dim` values numbered from `firstRow`. */
export function checkFinite(data: Float32Array, firstRow: number, dim: number, file: string): void {
  // A float32 is NaN or ±Infinity exactly when its exponent bits are all ones: an integer test on the bits is faster
  // than arithmetic on the values (the import checks every value of a 2 GB matrix this way).
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i] & 0x7f800000) === 0x7f800000) {
      throw new VectorTuneError(
        `row ${fmt(firstRow + Math.floor(i / dim))} (counting from 0) has the non-finite value ${data[i]} at column ${i % dim}.`,
        file,
        'Embeddings must be finite; recompute or drop that row.',
      );
    }
  }
}

/** A complete version 1.0 '<f4' C-order .npy file, byte-identical to what np.save writes for the same array. */
export function encodeNpy(rows: number, dim: number, data: Float32Array): Uint8Array {
  const header = npyPreamble(rows, dim, data);
  const out = new Uint8Array(header.length + data.length * 4);
  out.set(header);
  writeFloat32LE(out.subarray(header.length), data);
  return out;
}

/** Writes an N x D float32 matrix as .npy (version 1.0, '<f4', C order), slice by slice for large matrices. */
export async function writeNpy(file: string, rows: number, dim: number, data: Float32Array): Promise<void> {
  const header = npyPreamble(rows, dim, data);
  try {
    const handle = await fs.open(file, 'w');
    try {
      await handle.write(header);
      const perChunk = CHUNK_BYTES / 4;
      for (let done = 0; done < data.length; done += perChunk) {
        const slice = data.subarray(done, Math.min(data.length, done + perChunk));
        const bytes = new Uint8Array(slice.length * 4);
        writeFloat32LE(bytes, slice);
        for (let put = 0; put < bytes.length;) put += (await handle.write(bytes, put)).bytesWritten;
      }
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw e instanceof VectorTuneError ? e : fsError(e, file, 'write');
  }
}

function npyPreamble(rows: number, dim: number, data: Float32Array): Uint8Array {
  // A programming error, not a user's: the caller built the matrix.
  if (data.length !== rows * dim)
    throw new RangeError(`encodeNpy: ${rows} x ${dim} does not match ${data.length} values`);
  return npyHeader(rows, dim);
}

/** The preamble and header of an N x D '<f4' C-order .npy (version 1.0), for writers that stream the data after it. */
export function npyHeader(rows: number, dim: number): Uint8Array {
  if (!Number.isInteger(rows) || !Number.isInteger(dim) || rows < 1 || dim < 1)
    throw new RangeError(`npyHeader: ${rows} x ${dim} is not a matrix shape`);
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  // NumPy pads with spaces and ends with '\n' so that the data starts at a multiple of 64 bytes.
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + dict.length);
  out.set([...MAGIC, 1, 0, dict.length & 0xff, dict.length >>> 8]);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

function writeFloat32LE(out: Uint8Array, data: Float32Array): void {
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.length * 4));
    return;
  }
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) view.setUint32(i * 4, bits[i], true);
}
