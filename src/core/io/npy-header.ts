/**
 * The fixed-size .npy preamble and the header dict that follows it (format described in npy.ts): validated
 * into an NpyHeader, or refused with a VectorTuneError that names the file and says exactly what is wrong.
 */
import { VectorTuneError } from '../errors';

/** What the header says, validated: a supported float dtype and a shape of positive integers. */
export interface NpyHeader {
  dtype: string;
  shape: number[];
  fortranOrder: boolean;
  count: number;
  itemSize: number;
  littleEndian: boolean;
}

export const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** NumPy refuses headers over 10 KB by default; a length field far beyond that means a corrupt file. */
const MAX_HEADER_BYTES = 1 << 20;
const RESAVE = 'Re-save it with np.save(path, arr.astype(np.float32)).';

export const fmt = (n: number): string => n.toLocaleString('en-US');
export const fmtShape = (s: number[]): string => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);

/**
 * Validates the fixed-size preamble and returns where the data starts. Needs only the first 12 bytes
 * (`start`) plus the total size, so readNpy can call it before reading the rest of a large file.
 */
export function dataOffset(start: Uint8Array, total: number, file: string): { version: number; offset: number } {
  if (start[0] === 0x50 && start[1] === 0x4b && start[2] === 3 && start[3] === 4) {
    throw new VectorTuneError(
      'is a zip archive (.npz), not a single .npy array.',
      file,
      "Extract the array with np.load(path)['name'] and np.save it on its own.",
    );
  }
  if (total < 10 || MAGIC.some((b, i) => start[i] !== b)) {
    const what =
      total < 10 ? `is too short (${fmt(total)} bytes)` : 'does not start with the NumPy magic string "\\x93NUMPY"';
    throw new VectorTuneError(`is not a .npy file: it ${what}.`, file, 'Save embeddings with np.save(path, array).');
  }
  const major = start[6];
  const minor = start[7];
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw new VectorTuneError(
      `uses .npy format version ${major}.${minor}; only 1.0, 2.0 and 3.0 are supported.`,
      file,
      RESAVE,
    );
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (total < headerStart) throw new VectorTuneError('is truncated inside the .npy preamble.', file);
  const view = new DataView(start.buffer, start.byteOffset, headerStart);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new VectorTuneError(
      `claims a ${fmt(headerLength)}-byte .npy header, which is not plausible: the file is corrupt.`,
      file,
    );
  }
  if (headerStart + headerLength > total) {
    throw new VectorTuneError(
      `claims a ${fmt(headerLength)}-byte .npy header but only ${fmt(total - headerStart)} bytes follow the preamble: the file is truncated or corrupt.`,
      file,
    );
  }
  return { version: major, offset: headerStart + headerLength };
}

/** Decodes the header text (UTF-8 only in version 3.0) and parses the dict. */
export function parseHeader(bytes: Uint8Array, version: number, file: string): NpyHeader {
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
export function checkDataLength(h: NpyHeader, present: number, file: string): void {
  const expected = h.count * h.itemSize;
  if (present === expected) return;
  const found = `expected ${fmt(expected)} bytes of ${h.dtype} data for shape ${fmtShape(h.shape)}, found ${fmt(present)}`;
  if (present < expected)
    throw new VectorTuneError(`${found}: the file is truncated.`, file, 'Export or download it again.');
  throw new VectorTuneError(
    `${found}: ${fmt(present - expected)} unexpected bytes follow the data.`,
    file,
    `The header does not match the data. ${RESAVE}`,
  );
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
    for (const [word, v] of [
      ['True', true],
      ['False', false],
    ] as const) {
      if (text.startsWith(word, pos)) return ((pos += word.length), v);
    }
    if (text[pos] === '[') {
      throw new VectorTuneError(
        'holds a structured (record) array; only plain float arrays are supported.',
        file,
        RESAVE,
      );
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
    kind === 'O'
      ? 'Python objects, which would need unpickling'
      : kind === 'i' || kind === 'u'
        ? 'integers'
        : kind === 'b'
          ? 'booleans'
          : 'a type that is not float16, float32 or float64';
  throw new VectorTuneError(
    `holds ${what} (dtype '${descr}'); embeddings must be a float array ('<f2', '<f4', '<f8', or '>' big-endian).`,
    file,
    RESAVE,
  );
}

function parseShape(tokens: string[], file: string): number[] {
  const shape = tokens.map((t) => (/^[+-]?\d+L?$/.test(t) ? parseInt(t, 10) : NaN)); // 'L': Python 2 longs
  const raw = `(${tokens.join(', ')}${tokens.length === 1 ? ',' : ''})`;
  const bad = shape.findIndex((n) => !(n > 0) || !Number.isSafeInteger(n));
  if (bad >= 0) {
    const t = tokens[bad];
    const why = Number.isNaN(shape[bad])
      ? `'${t}' is not an integer`
      : shape[bad] === 0
        ? 'a dimension is 0, so it holds no values'
        : shape[bad] < 0
          ? `${t} is negative`
          : `${t} is too large`;
    throw new VectorTuneError(`has an invalid shape ${raw} in its .npy header: ${why}.`, file, RESAVE);
  }
  return shape;
}
