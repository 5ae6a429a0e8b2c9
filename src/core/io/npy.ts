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

export interface NpyArray {
  shape: number[];
  /** As written in the header, e.g. '<f4' or '>f2'; `data` is float32 whatever this says. */
  dtype: string;
  /** All values in C (row-major) order. */
  data: Float32Array;
}

/** What the header says, validated: a supported float dtype and a shape of positive integers. */
interface NpyHeader {
  dtype: string;
  shape: number[];
  fortranOrder: boolean;
  count: number;
  itemSize: number;
  littleEndian: boolean;
}

export interface Matrix {
  rows: number;
  dim: number;
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** NumPy refuses headers over 10 KB by default; a length field far beyond that means a corrupt file. */
const MAX_HEADER_BYTES = 1 << 20;
/** Large files are read and converted in slices of this size, so no second full-size buffer is needed. */
const CHUNK_BYTES = 64 << 20;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const RESAVE = 'Re-save it with np.save(path, arr.astype(np.float32)).';

const fmt = (n: number): string => n.toLocaleString('en-US');
const fmtShape = (s: number[]): string => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);

/**
 * Validates the fixed-size preamble and returns where the data starts. Needs only the first 12 bytes
 * (`start`) plus the total size, so readNpy can call it before reading the rest of a large file.
 */
function dataOffset(start: Uint8Array, total: number, file: string): { version: number; offset: number } {
  if (start[0] === 0x50 && start[1] === 0x4b && start[2] === 3 && start[3] === 4) {
    throw new VectorTuneError('is a zip archive (.npz), not a single .npy array.', file,
      "Extract the array with np.load(path)['name'] and np.save it on its own.");
  }
  if (total < 10 || MAGIC.some((b, i) => start[i] !== b)) {
    const what = total < 10 ? `is too short (${fmt(total)} bytes)` : 'does not start with the NumPy magic string "\\x93NUMPY"';
    throw new VectorTuneError(`is not a .npy file: it ${what}.`, file, 'Save embeddings with np.save(path, array).');
  }
  const major = start[6];
  const minor = start[7];
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw new VectorTuneError(`uses .npy format version ${major}.${minor}; only 1.0, 2.0 and 3.0 are supported.`, file, RESAVE);
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (total < headerStart) throw new VectorTuneError('is truncated inside the .npy preamble.', file);
  const view = new DataView(start.buffer, start.byteOffset, headerStart);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new VectorTuneError(`claims a ${fmt(headerLength)}-byte .npy header, which is not plausible: the file is corrupt.`, file);
  }
  if (headerStart + headerLength > total) {
    throw new VectorTuneError(`claims a ${fmt(headerLength)}-byte .npy header but only ${fmt(total - headerStart)} bytes follow the preamble: the file is truncated or corrupt.`, file);
  }
  return { version: major, offset: headerStart + headerLength };
}

/** Decodes the header text (UTF-8 only in version 3.0) and parses the dict. */
function parseHeader(bytes: Uint8Array, version: number, file: string): NpyHeader {
  const start = version === 1 ? 10 : 12;
  let text: string;
  try {
    text = new TextDecoder(version === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(start));
  } catch {
    throw new VectorTuneError('has a version 3.0 .npy header that is not valid UTF-8: the file is corrupt.', file);
  }
  return parseHeaderDict(text, file);
}

/** Refuses data that is shorter or longer than the header's shape and dtype say. */
function checkDataLength(h: NpyHeader, present: number, file: string): void {
  const expected = h.count * h.itemSize;
  if (present === expected) return;
  const found = `expected ${fmt(expected)} bytes of ${h.dtype} data for shape ${fmtShape(h.shape)}, found ${fmt(present)}`;
  if (present < expected) throw new VectorTuneError(`${found}: the file is truncated.`, file, 'Export or download it again.');
  throw new VectorTuneError(`${found}: ${fmt(present - expected)} unexpected bytes follow the data.`, file,
    `The header does not match the data. ${RESAVE}`);
}

function allocate(count: number, file: string): Float32Array<ArrayBuffer> {
  try {
    return new Float32Array(count);
  } catch {
    throw new VectorTuneError(`is too large to load: ${fmt(count)} values need ${fmt(Math.ceil((count * 4) / 2 ** 20))} MB as float32.`, file);
  }
}

/**
 * Converts `src` (whole elements of the header's dtype) into float32 at dst[at...]. Works on bit patterns
 * through typed-array views and a DataView, so it allocates nothing per element and keeps float32 bits exact.
 */
function decodeInto(dst: Float32Array, at: number, src: Uint8Array, h: NpyHeader, file: string): void {
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
        throw new VectorTuneError(`value ${v} at flat index ${fmt(at + i)} is too large for float32.`, file,
          'Scale the embeddings or save them as float32.');
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

async function readAt(handle: fs.FileHandle, position: number, length: number, file: string, into = new Uint8Array(length)): Promise<Uint8Array> {
  for (let got = 0; got < length; ) {
    const { bytesRead } = await handle.read(into, got, length - got, position + got);
    if (bytesRead === 0) throw new VectorTuneError('became shorter while being read; was it still being written?', file);
    got += bytesRead;
  }
  return into;
}

function fsError(e: unknown, file: string, verb: 'read' | 'write'): VectorTuneError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new VectorTuneError('does not exist.', file);
  if (code === 'EISDIR') return new VectorTuneError('is a folder, not a file.', file);
  if (code === 'EACCES' || code === 'EPERM') return new VectorTuneError(`cannot be ${verb === 'read' ? 'read' : 'written'}: permission denied.`, file);
  return new VectorTuneError(`could not be ${verb === 'read' ? 'read' : 'written'}: ${e instanceof Error ? e.message : String(e)}`, file);
}

/** Checks that an array is an N x D matrix of finite numbers, as embeddings must be. */
export function asMatrix(arr: NpyArray, file: string): Matrix {
  if (arr.shape.length !== 2) {
    throw new VectorTuneError(`holds an array of shape ${fmtShape(arr.shape)}; embeddings must be 2-D (N vectors x D dimensions).`, file,
      arr.shape.length === 1 ? 'For a single vector, save arr.reshape(1, -1).' : 'Reshape it to (N, D) before saving.');
  }
  const [rows, dim] = arr.shape;
  const data = arr.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new VectorTuneError(`row ${fmt(Math.floor(i / dim))} (counting from 0) has the non-finite value ${data[i]} at column ${i % dim}.`, file,
        'Embeddings must be finite; recompute or drop that row.');
    }
  }
  return { rows, dim, data };
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
        for (let put = 0; put < bytes.length; ) put += (await handle.write(bytes, put)).bytesWritten;
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
  if (!Number.isInteger(rows) || !Number.isInteger(dim) || rows < 1 || dim < 1 || data.length !== rows * dim) {
    throw new RangeError(`encodeNpy: ${rows} x ${dim} does not match ${data.length} values`);
  }
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

/**
 * Parses the header's Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3781, 1280), }.
 * Only what NumPy writes is accepted (string keys; string, bool and int-tuple values), by a small loop that
 * always advances, so corrupt headers fail fast instead of recursing or hanging.
 */
function parseHeaderDict(text: string, file: string): NpyHeader {
  let pos = 0;
  const quoted = JSON.stringify(text.trim().slice(0, 160));
  const fail = (what: string): never => {
    throw new VectorTuneError(`has a malformed .npy header (${what} at character ${pos}): ${quoted}.`, file, RESAVE);
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos])) pos++;
  };
  const eat = (ch: string): boolean => {
    skipSpace();
    return text[pos] === ch ? (pos++, true) : false;
  };
  const str = (): string => {
    const q = eat("'") ? "'" : eat('"') ? '"' : fail('expected a quoted string');
    const end = text.indexOf(q, pos);
    if (end < 0) fail('unterminated string');
    const s = text.slice(pos, end);
    pos = end + 1;
    return s;
  };
  /** A comma-separated sequence up to `close`, trailing comma allowed, as Python writes (5,) and dicts. */
  const sequence = (close: string, item: () => void): void => {
    while (!eat(close)) {
      item();
      if (eat(close)) return;
      if (!eat(',')) fail(`expected ',' or '${close}'`);
    }
  };
  const token = /[^,()\s]*/y;
  const value = (): unknown => {
    skipSpace();
    if (text[pos] === "'" || text[pos] === '"') return str();
    for (const [word, v] of [['True', true], ['False', false]] as const) {
      if (text.startsWith(word, pos)) return (pos += word.length), v;
    }
    if (text[pos] === '[') {
      throw new VectorTuneError('holds a structured (record) array; only plain float arrays are supported.', file, RESAVE);
    }
    if (!eat('(')) fail('expected a string, True, False or a tuple');
    const items: string[] = []; // kept as text so parseShape can say what was wrong with an entry
    sequence(')', () => {
      token.lastIndex = pos;
      const t = token.exec(text)![0];
      if (t === '') fail('expected a number');
      items.push(t);
      pos += t.length;
    });
    return items;
  };

  if (!eat('{')) fail("expected '{'");
  const dict = new Map<string, unknown>();
  sequence('}', () => {
    const key = str();
    if (!eat(':')) fail("expected ':'");
    dict.set(key, value());
  });
  if (text.slice(pos).trim() !== '') fail('unexpected text after the dict');

  const descr = dict.get('descr');
  const fortranOrder = dict.get('fortran_order');
  const rawShape = dict.get('shape');
  if (typeof descr !== 'string') fail("no 'descr' string");
  if (typeof fortranOrder !== 'boolean') fail("no 'fortran_order' True/False");
  if (!Array.isArray(rawShape)) fail("no 'shape' tuple");
  const { itemSize, littleEndian } = parseDtype(descr as string, file);
  const shape = parseShape(rawShape as string[], file);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count * itemSize)) {
    throw new VectorTuneError(`has shape ${fmtShape(shape)}, which is implausibly large: the header is corrupt.`, file);
  }
  return { dtype: descr as string, shape, fortranOrder: fortranOrder as boolean, count, itemSize, littleEndian };
}

function parseDtype(descr: string, file: string): { itemSize: number; littleEndian: boolean } {
  const m = /^([<>|=])([a-zA-Z])(\d*)$/.exec(descr);
  if (m && (m[1] === '<' || m[1] === '>') && m[2] === 'f' && ['2', '4', '8'].includes(m[3])) {
    return { itemSize: Number(m[3]), littleEndian: m[1] === '<' };
  }
  const kind = m?.[2];
  const what =
    kind === 'O' ? 'Python objects, which would need unpickling'
    : kind === 'i' || kind === 'u' ? 'integers'
    : kind === 'b' ? 'booleans'
    : 'a type that is not float16, float32 or float64';
  throw new VectorTuneError(`holds ${what} (dtype '${descr}'); embeddings must be a float array ('<f2', '<f4', '<f8', or '>' big-endian).`, file, RESAVE);
}

function parseShape(tokens: string[], file: string): number[] {
  const shape = tokens.map((t) => (/^[+-]?\d+L?$/.test(t) ? parseInt(t, 10) : NaN)); // 'L': Python 2 longs
  const raw = `(${tokens.join(', ')}${tokens.length === 1 ? ',' : ''})`;
  const bad = shape.findIndex((n) => !(n > 0) || !Number.isSafeInteger(n));
  if (bad >= 0) {
    const t = tokens[bad];
    const why = Number.isNaN(shape[bad]) ? `'${t}' is not an integer` : shape[bad] === 0 ? 'a dimension is 0, so it holds no values' : shape[bad] < 0 ? `${t} is negative` : `${t} is too large`;
    throw new VectorTuneError(`has an invalid shape ${raw} in its .npy header: ${why}.`, file, RESAVE);
  }
  return shape;
}
