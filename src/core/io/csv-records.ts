/**
 * The record parser of csv.ts's dialect, for a whole text (parseCsv) or a file read a chunk at a time (csv-stream.ts).
 */
import { VectorTuneError } from '../errors';

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
export const QUOTING_HINT =
  'Fields that contain commas, quotes or line breaks must be in double quotes, with inner quotes doubled ("").';

/** One record as parsed, with the line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** Where parsing stands in a text: its position and the 1-based line there. */
export interface CsvPosition {
  pos: number;
  line: number;
}

/** Returned by the record parser when the text ends before the record does (more text may complete it). */
const UNFINISHED = null;

/**
 * Parses the records of `text` from `at` into `out` and returns where it stopped. With `final` false the text is a
 * prefix of the file (csv-stream.ts reads it in chunks): parsing stops before a record the text may not hold whole
 * (an open quote, no line break yet, a CR that may be half of a CRLF), to be parsed again with more text.
 */
export function parseRecords(
  text: string,
  at: CsvPosition,
  final: boolean,
  file: string,
  out: CsvRecord[],
): CsvPosition {
  let { pos, line } = at;
  // The next quote and CR at or after `pos` (Infinity: none left), looked for again only once passed: a record
  // before both is split in one go (plainRecord).
  let quote = -1;
  let cr = -1;
  while (pos < text.length) {
    if (quote < pos) quote = indexAfter(text, '"', pos);
    if (cr < pos) cr = indexAfter(text, '\r', pos);
    const record = plainRecord(text, pos, line, Math.min(quote, cr)) ?? parseRecord(text, pos, line, final, file);
    if (record === UNFINISHED) break;
    if (!record.blank) out.push({ fields: record.fields, line });
    ({ pos, line } = record);
  }
  return { pos, line };
}

/**
 * The record from `pos` when its line ends before `special` (the next quote or CR): the common exported
 * id,path,label line, split on its commas at once. Null when it does not, or has no line break yet (parseRecord
 * then decides).
 */
function plainRecord(
  text: string,
  pos: number,
  line: number,
  special: number,
): { fields: string[]; blank: boolean; pos: number; line: number } | null {
  const end = text.indexOf('\n', pos);
  if (end < 0 || special < end) return null;
  return { fields: text.slice(pos, end).split(','), blank: end === pos, pos: end + 1, line: line + 1 };
}

function indexAfter(text: string, c: string, from: number): number {
  const at = text.indexOf(c, from);
  return at < 0 ? Infinity : at;
}

/** One record from `pos` (possibly blank), and the position and line after its line break. */
function parseRecord(
  text: string,
  recordStart: number,
  recordLine: number,
  final: boolean,
  file: string,
): { fields: string[]; blank: boolean; pos: number; line: number } | typeof UNFINISHED {
  const n = text.length;
  const fields: string[] = [];
  let pos = recordStart;
  let line = recordLine;
  for (;;) {
    if (text.charCodeAt(pos) === QUOTE) {
      const openLine = line;
      let value = '';
      let from = pos + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close < 0) {
          if (!final) return UNFINISHED;
          throw new VectorTuneError(`line ${openLine}: a quoted field is never closed.`, file, QUOTING_HINT);
        }
        value += text.slice(from, close);
        pos = close + 1;
        if (pos === n && !final) return UNFINISHED; // the next chunk may start with the quote that doubles this one
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
      if (end === n && !final) return UNFINISHED;
      fields.push(text.slice(pos, end));
      pos = end;
    }
    if (text.charCodeAt(pos) !== COMMA) break;
    pos++;
  }
  const blank = pos === recordStart;
  // Now at a line break or the end: CRLF, LF and CR each end one line.
  const c = text.charCodeAt(pos);
  if (c === CR && pos + 1 === n && !final) return UNFINISHED; // it may be the first half of a CRLF
  if (c === CR) pos += text.charCodeAt(pos + 1) === LF ? 2 : 1;
  else if (c === LF) pos++;
  return { fields, blank, pos, line: line + 1 };
}

function countLineBreaks(s: string): number {
  let breaks = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF || (c === CR && s.charCodeAt(i + 1) !== LF)) breaks++;
  }
  return breaks;
}
