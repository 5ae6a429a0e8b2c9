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
import { type CsvRecord, parseRecords, QUOTING_HINT } from './csv-records';

export interface Csv {
  header: string[];
  rows: string[][];
}

export function parseCsv(text: string, file: string): Csv {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: CsvRecord[] = [];
  parseRecords(text, { pos: 0, line: 1 }, true, file, records);
  return checkTable(records, file);
}

function checkTable(records: CsvRecord[], file: string): Csv {
  if (records.length === 0) throw emptyCsv(file);
  const header = checkHeader(records[0], file);
  for (const record of records.slice(1)) checkRow(record, header, file);
  return { header, rows: records.slice(1).map((r) => r.fields) };
}

export function emptyCsv(file: string): VectorTuneError {
  return new VectorTuneError('is empty: a CSV file needs a header line naming its columns.', file);
}

/** The header's names, which must be unique. */
export function checkHeader(record: CsvRecord, file: string): string[] {
  const header = record.fields;
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) {
      throw new VectorTuneError(
        `line ${record.line}: the header names column ${JSON.stringify(name)} twice (columns ${first + 1} and ${i + 1}).`,
        file,
        'Column names must be unique.',
      );
    }
    seen.set(name, i);
  });
  return header;
}

/** A data line must have one field per column. */
export function checkRow({ fields, line }: CsvRecord, header: string[], file: string): void {
  if (fields.length !== header.length) {
    throw new VectorTuneError(
      `line ${line} has ${fields.length} field${fields.length === 1 ? '' : 's'}, but the header has ${header.length} columns.`,
      file,
      QUOTING_HINT,
    );
  }
}

/** Reads a CSV file as UTF-8 (or UTF-16 when it starts with a UTF-16 BOM); invalid encodings are refused. */
export async function readCsv(file: string): Promise<Csv> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw csvReadError(e, file);
  }
  return parseCsv(decodeText(bytes, file), file);
}

/** What a CSV file that cannot be opened or read gets said of it. */
export function csvReadError(e: unknown, file: string): VectorTuneError {
  const code = (e as NodeJS.ErrnoException).code;
  const what =
    code === 'ENOENT'
      ? 'does not exist.'
      : code === 'EISDIR'
        ? 'is a folder, not a CSV file.'
        : `could not be read: ${(e as Error).message}`;
  return new VectorTuneError(what, file);
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
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
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
export function refuseNul(text: string, file: string, firstLine = 1): string {
  const at = text.indexOf('\0');
  if (at < 0) return text;
  const line = firstLine - 1 + text.slice(0, at).split('\n').length;
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
  const i = columnIndex(csv.header, name, file);
  return csv.rows.map((r) => r[i]);
}

/** Where a column is in the header, refused with the list of available columns when there is no such column. */
export function columnIndex(header: string[], name: string, file: string): number {
  const i = header.indexOf(name);
  if (i < 0) {
    throw new VectorTuneError(
      `has no column ${JSON.stringify(name)}; its columns are ${header.map((h) => JSON.stringify(h)).join(', ')}.`,
      file,
    );
  }
  return i;
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
