/**
 * CSV as in RFC 4180: comma-separated, fields optionally in double quotes (which may hold commas, line breaks
 * and doubled quotes), the first line is the header. Lines may end in CRLF, LF or a lone CR.
 *
 * Choices beyond the RFC, to accept what spreadsheets and pandas write without guessing:
 * - a leading UTF-8 BOM is dropped; UTF-16 files that start with a BOM (Excel's "Unicode" export) are decoded;
 *   any other encoding is refused (invalid UTF-8 with the byte and line; NUL characters, as UTF-16 without a BOM);
 * - blank lines (no characters at all) are skipped anywhere, so trailing newlines never matter. A one-column
 *   row holding an empty string must therefore be written `""`, which toCsv does;
 * - a quote inside an unquoted field (`5" screen`) is kept as a literal character, as Excel does, but text
 *   after a closing quote (`"a"b`) is refused: it almost always means broken quoting;
 * - empty header names are allowed (pandas writes one for the index column), duplicates are not.
 * Errors name the file and the 1-based line where the problem starts.
 */
import { promises as fs } from 'node:fs';
import { VectorTuneError } from '../errors';

export interface Csv {
  header: string[];
  rows: string[][];
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTING_HINT =
  'Fields that contain commas, quotes or line breaks must be in double quotes, with inner quotes doubled ("").';

export function parseCsv(text: string, file: string): Csv {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const n = text.length;
  const records: { fields: string[]; line: number }[] = [];
  let pos = 0;
  let line = 1;

  while (pos < n) {
    const recordStart = pos;
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      if (text.charCodeAt(pos) === QUOTE) {
        const openLine = line;
        let value = '';
        let from = pos + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close < 0) {
            throw new VectorTuneError(`line ${openLine}: a quoted field is never closed.`, file, QUOTING_HINT);
          }
          value += text.slice(from, close);
          pos = close + 1;
          if (text.charCodeAt(pos) !== QUOTE) break;
          value += '"'; // a doubled quote stands for one
          from = pos + 1;
        }
        line += countLineBreaks(value);
        const c = text.charCodeAt(pos);
        if (pos < n && c !== COMMA && c !== LF && c !== CR) {
          throw new VectorTuneError(
            `line ${line}: unexpected text after a closing quote: ${JSON.stringify(text.slice(pos, pos + 20))}.`,
            file,
            QUOTING_HINT,
          );
        }
        fields.push(value);
      } else {
        let end = pos;
        while (end < n) {
          const c = text.charCodeAt(end);
          if (c === COMMA || c === LF || c === CR) break;
          end++;
        }
        fields.push(text.slice(pos, end));
        pos = end;
      }
      if (text.charCodeAt(pos) !== COMMA) break;
      pos++;
    }
    const blank = pos === recordStart;
    // Now at a line break or the end: CRLF, LF and CR each end one line.
    const c = text.charCodeAt(pos);
    if (c === CR) pos += text.charCodeAt(pos + 1) === LF ? 2 : 1;
    else if (c === LF) pos++;
    line++;
    if (!blank) records.push({ fields, line: recordLine });
  }
  return checkTable(records, file);
}

function countLineBreaks(s: string): number {
  let breaks = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF || (c === CR && s.charCodeAt(i + 1) !== LF)) breaks++;
  }
  return breaks;
}

function checkTable(records: { fields: string[]; line: number }[], file: string): Csv {
  if (records.length === 0) {
    throw new VectorTuneError('is empty: a CSV file needs a header line naming its columns.', file);
  }
  const header = records[0].fields;
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) {
      throw new VectorTuneError(
        `line ${records[0].line}: the header names column ${JSON.stringify(name)} twice (columns ${first + 1} and ${i + 1}).`,
        file,
        'Column names must be unique.',
      );
    }
    seen.set(name, i);
  });
  for (const { fields, line } of records.slice(1)) {
    if (fields.length !== header.length) {
      throw new VectorTuneError(
        `line ${line} has ${fields.length} field${fields.length === 1 ? '' : 's'}, but the header has ${header.length} columns.`,
        file,
        QUOTING_HINT,
      );
    }
  }
  return { header, rows: records.slice(1).map((r) => r.fields) };
}

/** Reads a CSV file as UTF-8 (or UTF-16 when it starts with a UTF-16 BOM); invalid encodings are refused. */
export async function readCsv(file: string): Promise<Csv> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT'
        ? 'does not exist.'
        : code === 'EISDIR'
          ? 'is a folder, not a CSV file.'
          : `could not be read: ${(e as Error).message}`;
    throw new VectorTuneError(what, file);
  }
  return parseCsv(decodeText(bytes, file), file);
}

export function decodeText(bytes: Uint8Array, file: string): string {
  return refuseNul(decodeBytes(bytes, file), file);
}

function decodeBytes(bytes: Uint8Array, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const body = bytes.slice(2);
    if (bytes[0] === 0xfe) for (let i = 0; i + 1 < body.length; i += 2) [body[i], body[i + 1]] = [body[i + 1], body[i]];
    try {
      return new TextDecoder('utf-16le', { fatal: true }).decode(body);
    } catch {
      throw new VectorTuneError(
        'starts with a UTF-16 byte-order mark but is not valid UTF-16.',
        file,
        'Save it as UTF-8.',
      );
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).filter((b) => b === LF).length + 1;
    const where =
      at < bytes.length
        ? `byte 0x${bytes[at].toString(16).padStart(2, '0')} at offset ${at.toLocaleString('en-US')} (line ${line})`
        : 'it ends in the middle of a character';
    throw new VectorTuneError(`is not valid UTF-8: ${where}.`, file, 'Save it as UTF-8 (in Excel: "CSV UTF-8").');
  }
}

/**
 * No text file holds NUL characters, but UTF-16 without a byte-order mark is valid UTF-8 with a NUL in every
 * other byte: read as such it would give column names nobody wrote instead of an error.
 */
function refuseNul(text: string, file: string): string {
  const at = text.indexOf('\0');
  if (at < 0) return text;
  const line = text.slice(0, at).split('\n').length;
  throw new VectorTuneError(
    `holds a NUL character (line ${line}): it is not a text file, or it is UTF-16 without a byte-order mark.`,
    file,
    'Save it as UTF-8 (in Excel: "CSV UTF-8").',
  );
}

/**
 * Offset of the byte where UTF-8 decoding first fails. TextDecoder does not say, so binary-search the
 * shortest failing prefix; in streaming mode an incomplete character at the end of a prefix is not an error.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const fails = (k: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, k), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  if (!fails(bytes.length)) return bytes.length;
  let lo = 0; // !fails(lo)
  let hi = bytes.length; // fails(hi)
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (fails(mid)) hi = mid;
    else lo = mid;
  }
  // The decoder fails at the byte that breaks a sequence; report where that sequence started instead
  // (for "caf\xe9," that is the \xe9, not the comma after it).
  const bad = hi - 1;
  let lead = bad - 1;
  while (lead >= 0 && bad - lead < 4 && (bytes[lead] & 0xc0) === 0x80) lead--;
  const length = bytes[lead] >= 0xf0 ? 4 : bytes[lead] >= 0xe0 ? 3 : bytes[lead] >= 0xc0 ? 2 : 1;
  return lead >= 0 && lead + length > bad ? lead : bad;
}

/** The values of one column, refused with the list of available columns when there is no such column. */
export function column(csv: Csv, name: string, file: string): string[] {
  const i = csv.header.indexOf(name);
  if (i < 0) {
    throw new VectorTuneError(
      `has no column ${JSON.stringify(name)}; its columns are ${csv.header.map((h) => JSON.stringify(h)).join(', ')}.`,
      file,
    );
  }
  return csv.rows.map((r) => r[i]);
}

/** Formats a table as CSV with LF line ends, quoting only where needed; parseCsv reads it back unchanged. */
export function toCsv(header: string[], rows: string[][]): string {
  return csvRows([header, ...rows]);
}

/** Lines of CSV (each ending in LF), to append below a header written before. */
export function csvRows(rows: string[][]): string {
  // A leading BOM would be stripped on reading, so a field starting with one is quoted too.
  const field = (f: string): string =>
    /[",\r\n]/.test(f) || f.startsWith('\uFEFF') ? `"${f.replaceAll('"', '""')}"` : f;
  // A lone empty field would be a blank line, which parseCsv skips.
  const line = (fields: string[]): string =>
    fields.length === 1 && fields[0] === '' ? '""' : fields.map(field).join(',');
  return rows.map((r) => `${line(r)}\n`).join('');
}
