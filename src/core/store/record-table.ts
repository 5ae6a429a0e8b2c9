import { VectorTuneError } from '../errors';
import { IdIndex, type IdBytes } from './id-index';
import { pickMeta } from './records-file';
import type { RecordMeta } from './types';

/** `{"id":"`: how every line encodeRecords writes begins; the id's bytes follow up to the next `"`. */
const PREFIX = Buffer.from('{"id":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/**
 * The committed lines of a store's records file, kept as the file's bytes (one line per row) with where each line
 * starts: a million records are their file's size in memory (about 190 MB for paths, hashes, sizes and times)
 * instead of a million parsed objects, and opening the store reads them instead of parsing them. A row's metadata is
 * parsed when it is asked for (a batch, a fetch); ids are looked up through an IdIndex over their bytes. Lines whose
 * id is JSON-escaped (a quote, a backslash, a control character) or that a writer other than encodeRecords wrote are
 * parsed once and looked up in a Map instead.
 */
export class RecordTable implements IdBytes {
  private buffer: Buffer;
  private used: number;
  private starts: Float64Array;
  private rows = 0;
  private readonly index: IdIndex;
  /** Rows whose line is not in the fast form, by id. */
  private readonly others = new Map<string, number>();
  private readonly otherRows = new Set<number>();
  /** The UTF-8 bytes of the id rowOf looks up (at most 3 bytes per UTF-16 unit). */
  private scratch = Buffer.allocUnsafe(256);

  /**
   * `text`: the committed bytes (whole lines); `starts`: where each of the first starts.length lines begins, when
   * known (the search cache saves them); `slots`: a saved id table, covering the first `indexed` rows of which it
   * left out `others` (lines not in the fast form: when none, those rows need not be looked at again).
   */
  constructor(
    private readonly file: string,
    text: Buffer,
    count: number,
    known?: { starts?: Float64Array; slots?: Int32Array; indexed?: number; others?: number },
  ) {
    this.buffer = text;
    this.used = text.length;
    this.starts = new Float64Array(Math.max(count, 1024));
    const startsKnown = Math.min(known?.starts?.length ?? 0, count);
    if (known?.starts) this.starts.set(known.starts.subarray(0, startsKnown));
    // The line after the last known one starts past its newline.
    const next = startsKnown === 0 ? 0 : this.buffer.indexOf(NEWLINE, this.starts[startsKnown - 1]) + 1;
    const linesFound = this.findLines(startsKnown, next === 0 && startsKnown > 0 ? this.used : next);
    if (linesFound !== count || (this.used > 0 && this.buffer[this.used - 1] !== NEWLINE)) {
      throw this.damaged(`the records file holds ${linesFound} committed records but the manifest says ${count}.`);
    }
    const indexed = known?.slots ? Math.min(known.indexed ?? 0, count) : 0;
    this.index = new IdIndex(this, known?.slots, indexed);
    for (let row = known?.others === 0 ? indexed : 0; row < count; row++) if (!this.isFast(row)) this.addOther(row);
    for (let row = indexed; row < count; row++) if (!this.otherRows.has(row)) this.addFast(row);
  }

  get text(): Uint8Array {
    return this.buffer;
  }

  get count(): number {
    return this.rows;
  }

  /** Bytes of the committed lines. */
  get byteLength(): number {
    return this.used;
  }

  /** The id table's slots, the rows it covers and how many of those it leaves out (held by id instead), to save. */
  get indexSlots(): { slots: Int32Array; indexed: number; others: number } {
    return { slots: this.index.slots, indexed: this.rows, others: this.others.size };
  }

  /** Where lines [row, row + n) start, to save. */
  lineStarts(row: number, n: number): Float64Array {
    return this.starts.subarray(row, row + n);
  }

  idStart(row: number): number {
    return this.starts[row] + PREFIX.length;
  }

  idEnd(row: number): number {
    return this.buffer.indexOf(QUOTE, this.idStart(row));
  }

  id(row: number): string {
    if (this.otherRows.has(row)) return this.meta(row).id;
    return this.buffer.toString('utf8', this.idStart(row), this.idEnd(row));
  }

  meta(row: number): RecordMeta {
    return pickMeta(JSON.parse(this.buffer.toString('utf8', this.starts[row], this.lineEnd(row))) as RecordMeta);
  }

  /** Row `row`'s line as written, newline included (a view: copy it to keep it past the next append). */
  line(row: number): Uint8Array {
    return this.buffer.subarray(this.starts[row], this.lineEnd(row));
  }

  private lineEnd(row: number): number {
    return row + 1 < this.rows ? this.starts[row + 1] : this.used;
  }

  rowOf(id: string): number | undefined {
    const row = this.others.size > 0 ? this.others.get(id) : undefined;
    if (row !== undefined || needsEscape(id)) return row; // escaped ids are only there
    // Into one reused buffer: an import looks up every id it writes, twice.
    if (this.scratch.length < id.length * 3) this.scratch = Buffer.allocUnsafe(id.length * 3);
    const n = this.scratch.write(id, 0, 'utf8');
    return this.index.find(this.scratch.subarray(0, n));
  }

  /** Appends whole lines (encodeRecords' output for `count` records) as the next rows. */
  append(text: Uint8Array, count: number): void {
    const first = this.rows;
    if (this.used + text.length > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(
        Math.max(this.used + text.length, Math.ceil(this.buffer.length * 1.5), 1 << 16),
      );
      this.buffer.copy(bigger, 0, 0, this.used);
      this.buffer = bigger;
    }
    this.buffer.set(text, this.used);
    const from = this.used;
    this.used += text.length;
    if (this.findLines(first, from) - first !== count) throw new Error('internal: appended lines do not match');
    for (let row = first; row < this.rows; row++) {
      if (this.isFast(row)) this.addFast(row);
      else this.addOther(row);
    }
  }

  /** Records the start of every line from byte `from` on, as rows from `row`; returns the rows then known. */
  private findLines(row: number, from: number): number {
    let at = from;
    while (at < this.used) {
      if (row >= this.starts.length) this.growStarts(row + 1);
      this.starts[row++] = at;
      const end = this.buffer.indexOf(NEWLINE, at);
      if (end < 0 || end >= this.used) break; // an unterminated last line: damage, which the constructor names
      at = end + 1;
    }
    this.rows = row;
    return row;
  }

  private growStarts(rows: number): void {
    const bigger = new Float64Array(Math.max(rows, Math.ceil(this.starts.length * 1.5)));
    bigger.set(this.starts);
    this.starts = bigger;
  }

  /** A line encodeRecords wrote, whose id needs no escaping: its bytes are the id's UTF-8. */
  private isFast(row: number): boolean {
    const start = this.starts[row];
    for (let i = 0; i < PREFIX.length; i++) if (this.buffer[start + i] !== PREFIX[i]) return false;
    for (let i = start + PREFIX.length; i < this.used; i++) {
      const b = this.buffer[i];
      if (b === QUOTE) return true;
      if (b === BACKSLASH || b === NEWLINE) return false;
    }
    return false;
  }

  private addFast(row: number): void {
    const twin = this.index.insert(row, this.idStart(row), this.idEnd(row));
    if (twin !== undefined) throw this.duplicate(twin, row);
  }

  private addOther(row: number): void {
    let id: string;
    try {
      id = this.meta(row).id;
    } catch {
      throw this.damaged(`line ${row + 1} of the records file is not valid JSON.`);
    }
    const twin = this.others.get(id);
    if (twin !== undefined) throw this.duplicate(twin, row);
    this.others.set(id, row);
    this.otherRows.add(row);
  }

  private duplicate(first: number, second: number): VectorTuneError {
    return this.damaged(
      `lines ${first + 1} and ${second + 1} of the records file both hold id ${JSON.stringify(this.id(first))}.`,
    );
  }

  private damaged(what: string): VectorTuneError {
    return new VectorTuneError(
      what,
      this.file,
      'The store is damaged; it is rebuildable: delete its folder and index again.',
    );
  }
}

/**
 * Whether JSON.stringify escapes something in `id` (a quote, a backslash, a control character, a lone surrogate),
 * without making the string: it answers the common id by a scan, and asks JSON.stringify only about surrogates.
 */
function needsEscape(id: string): boolean {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
    if (c >= 0xd800 && c <= 0xdfff) return JSON.stringify(id).length !== id.length + 2;
  }
  return false;
}
