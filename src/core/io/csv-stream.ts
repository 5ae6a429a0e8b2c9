import { isUtf8 } from 'node:buffer';
import { promises as fs } from 'node:fs';
import { checkHeader, checkRow, csvReadError, decodeText, emptyCsv, refuseNul } from './csv';
import { type CsvPosition, type CsvRecord, parseRecords } from './csv-records';

/** A batch of data lines (possibly none), each checked as parseCsv checks them, with the header they follow. */
export interface CsvBatch {
  header: string[];
  rows: CsvRecord[];
}

/** Bytes read per step: a million-line CSV is never in memory whole, as text or as rows. */
const CHUNK_BYTES = 8 << 20;

/**
 * Reads a CSV file (csv.ts has the dialect) a chunk at a time, yielding its data lines in batches: an import of a
 * million lines holds one chunk of text and the batch it makes. UTF-8, with or without a BOM, streams; a file with a
 * UTF-16 byte-order mark (Excel's "Unicode text", never that large) is read whole. The errors are readCsv's, naming
 * the same lines and bytes: an invalid byte is located by reading the file again, whole, as readCsv would.
 */
export async function* csvBatches(file: string, chunkBytes = CHUNK_BYTES): AsyncGenerator<CsvBatch> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    throw csvReadError(e, file);
  }
  let header: string[] | undefined;
  const batch = (records: CsvRecord[]): CsvBatch | null => {
    const rows = records.slice(header ? 0 : 1);
    if (!header && records.length > 0) header = checkHeader(records[0], file);
    for (const r of rows) checkRow(r, header!, file);
    return header ? { header, rows } : null;
  };
  const read = (into: Buffer, position: number) =>
    handle.read(into, 0, into.length, position).catch((e: unknown) => {
      throw csvReadError(e, file);
    });
  try {
    const mark = Buffer.alloc(2);
    const { bytesRead: marked } = await read(mark, 0);
    if (marked === 2 && ((mark[0] === 0xff && mark[1] === 0xfe) || (mark[0] === 0xfe && mark[1] === 0xff))) {
      yield* utf16Whole(file, batch);
      return;
    }
    const buffer = Buffer.alloc(chunkBytes + 3);
    let carried = 0; // bytes of a character cut by the end of the last chunk, moved to the start of the buffer
    let carry = '';
    let at: CsvPosition = { pos: 0, line: 1 };
    // Line feeds before `carry`: where a NUL is, counted as readCsv counts it (by line feeds).
    let feeds = 0;
    let started = false; // some text was decoded (a BOM can only be at its start)
    for (let position = 0; ;) {
      const { bytesRead } = await read(buffer.subarray(carried, carried + chunkBytes), position);
      const end = carried + bytesRead;
      const whole = bytesRead === 0 ? end : completeCharacters(buffer, end);
      // Buffer's validator and decoder (simdutf) are many times faster than a streaming fatal TextDecoder.
      const bytes = buffer.subarray(0, whole);
      if (!isUtf8(bytes) || (bytesRead === 0 && whole > 0 && carried > 0)) {
        decodeText(await fs.readFile(file), file); // throws readCsv's message, naming the byte and line
        throw new Error('internal: the streaming validator refused what the whole-file decoder read');
      }
      let text = carry + bytes.toString('utf8');
      buffer.copyWithin(0, whole, end);
      carried = end - whole;
      if (!started && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      started ||= whole > 0;
      position += bytesRead;
      refuseNul(text, file, feeds + 1);
      const records: CsvRecord[] = [];
      at = parseRecords(text, { pos: 0, line: at.line }, bytesRead === 0, file, records);
      for (let i = text.indexOf('\n'); i >= 0 && i < at.pos; i = text.indexOf('\n', i + 1)) feeds++;
      carry = text.slice(at.pos);
      const out = batch(records);
      if (out) yield out;
      if (bytesRead === 0) break;
    }
    if (!header) throw emptyCsv(file);
  } finally {
    await handle.close();
  }
}

async function* utf16Whole(file: string, batch: (records: CsvRecord[]) => CsvBatch | null): AsyncGenerator<CsvBatch> {
  let text = decodeText(await fs.readFile(file), file);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: CsvRecord[] = [];
  parseRecords(text, { pos: 0, line: 1 }, true, file, records);
  if (records.length === 0) throw emptyCsv(file);
  const out = batch(records);
  if (out) yield out;
}

/**
 * How many of the first `end` bytes end on a character boundary: a character cut by the end of a chunk (up to 3
 * bytes of its 2-4) waits for the next chunk. Bytes that are no character's start are left for the validator.
 */
function completeCharacters(bytes: Uint8Array, end: number): number {
  let continuation = 0;
  while (continuation < 3 && end - continuation > 0 && (bytes[end - continuation - 1] & 0xc0) === 0x80) continuation++;
  const lead = end - continuation - 1;
  if (lead < 0) return end;
  const b = bytes[lead];
  const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return length > continuation + 1 ? lead : end;
}
