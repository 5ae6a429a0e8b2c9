import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';
import { sha256 } from '../util/hash';
import { conflictError, firstConflictLine } from '../fs/conflict-markers';

/**
 * `labels.jsonl`: every score the user gave, saved (fsync) before it is used, one JSON object per line. It is
 * the source of truth: the weights are a function of it (and the start point), so a head can be rebuilt exactly, reviewed in a diff, and nothing acknowledged is lost in a crash.
 */
export const LABELS_FILE_NAME = 'labels.jsonl';

export interface Label {
  id: string;
  path?: string;
  /** -1 (surely not) .. +1 (surely). */
  score: number;
  /** 0 for the examples a head was started from; 1, 2, ... for tuning rounds. */
  round: number;
  /** ISO time the score was given. */
  time: string;
  /**
   * A removal: the record has no label from this line on (until labelled again). The line keeps a score of 0
   * so that versions before removals existed still read the file (they take it as an undecided score).
   */
  removed?: true;
  /** Who gave the score (git user.email or the OS user); absent when not recorded. */
  by?: string;
  /** A line that settles annotators' disagreement on the record (annotator-agreement.ts): no one's own judgement. */
  settled?: true;
}

export interface LabelsRead {
  labels: Label[];
  /** sha256 of the bytes the labels were read from (what the weights file records). */
  sha256: string;
  /** The file's size in bytes (0 when it does not exist): with sha256, what a session compares to notice an outside change. */
  size: number;
  /** A last line cut short by a crash: it was never acknowledged, so it is reported and ignored. */
  tornTail: string | null;
  /** Its length in bytes (what to cut before the next append). */
  tornBytes: number;
  /** The last line is a complete label without its newline (a hand edit): the next append adds one. */
  missingNewline: boolean;
}

export async function readLabels(file: string): Promise<LabelsRead> {
  return parseLabels(await readLabelsBytes(file), file);
}

/** The labels file's size in bytes, 0 when it does not exist: the cheap first check for an outside change. */
export async function labelsFileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new VectorTuneError(`cannot read the labels file (${(err as NodeJS.ErrnoException).code}).`, file);
  }
}

/** The file's bytes; none when it does not exist yet (a head without labels). */
async function readLabelsBytes(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw new VectorTuneError(`cannot read the labels file (${(err as NodeJS.ErrnoException).code}).`, file);
  }
}

function parseLabels(bytes: Buffer, file: string): LabelsRead {
  const size = bytes.length;
  checkNoConflictMarkers(bytes, file);
  // Split on the last newline byte, not in decoded text: a kill can cut a multi-byte character in half.
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const end = Math.max(bytes.lastIndexOf(0x0a) + 1, bom);
  const lines = decodeLines(bytes.subarray(bom, end), file);
  const labels = lines
    .map((line, i) => ({ line, lineNo: i + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, lineNo }) => parseLabel(line, file, lineNo));
  const tail = bytes.subarray(end).toString('utf8');
  if (tail.trim() === '') {
    return { labels, sha256: sha256(bytes), size, tornTail: null, tornBytes: 0, missingNewline: false };
  }
  // A kill mid-append leaves a line that is not JSON. A last line that is JSON is complete but for its
  // newline (a hand edit), and is checked like any other: an invalid one is an error, never dropped as torn.
  if (!isJson(tail))
    return {
      labels,
      sha256: sha256(bytes.subarray(0, end)),
      size,
      tornTail: tail,
      tornBytes: bytes.length - end,
      missingNewline: false,
    };
  return {
    labels: [...labels, parseLabel(tail, file, lines.length)],
    sha256: sha256(bytes),
    size,
    tornTail: null,
    tornBytes: 0,
    missingNewline: true,
  };
}

/**
 * The complete lines as text. Bytes that are not UTF-8 are damage (a bad disk or copy), refused with their
 * line: decoding them leniently would turn an id into another one without a word. A leading BOM (a hand
 * edit in an editor that adds one) is dropped.
 */
function decodeLines(bytes: Uint8Array, file: string): string[] {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).split('\n');
  } catch {
    const lines = Buffer.from(bytes).toString('latin1').split('\n'); // one char per byte, to find the line
    const bad = lines.findIndex((l) => !isUtf8(Buffer.from(l, 'latin1')));
    throw new VectorTuneError(
      `line ${bad + 1} of the labels file is not valid UTF-8 (the file is damaged).`,
      file,
      'Fix or remove that line; every other line is kept.',
    );
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function parseLabel(line: string, file: string, lineNo: number): Label {
  let raw: Label;
  try {
    raw = JSON.parse(line) as Label; // a declared type for the checks below, which trust none of it
  } catch {
    throw new VectorTuneError(
      `line ${lineNo} of the labels file is not valid JSON.`,
      file,
      'Fix or remove that line; every other line is kept.',
    );
  }
  const bad = (what: string) =>
    new VectorTuneError(`line ${lineNo} of the labels file: ${what}.`, file, 'Fix or remove that line.');
  if (!raw || typeof raw !== 'object') throw bad('expected a JSON object');
  if (typeof raw.id !== 'string' || raw.id === '') throw bad('"id" must be a non-empty string');
  if (raw.removed !== undefined && raw.removed !== true) throw bad('"removed" must be true when present');
  // A hand-written removal may leave the score out; written ones carry 0 for older readers.
  const score: unknown = raw.removed && raw.score === undefined ? 0 : raw.score;
  if (typeof score !== 'number' || !(score >= -1 && score <= 1)) throw bad('"score" must be a number from -1 to +1');
  if (!Number.isSafeInteger(raw.round) || raw.round < 0) throw bad('"round" must be a non-negative integer');
  if (raw.path !== undefined && typeof raw.path !== 'string') throw bad('"path" must be a string');
  // Only informational, so a script's epoch number is kept as text; an object or array is damage.
  const time: unknown = raw.time ?? '';
  if (typeof time !== 'string' && typeof time !== 'number') throw bad('"time" must be a string');
  if (raw.by !== undefined && typeof raw.by !== 'string') throw bad('"by" must be a string');
  if (raw.settled !== undefined && raw.settled !== true) throw bad('"settled" must be true when present');
  const label: Label = { id: raw.id, path: raw.path, score, round: raw.round, time: String(time) };
  if (raw.removed) label.removed = true;
  if (raw.by !== undefined) label.by = raw.by;
  if (raw.settled) label.settled = true;
  return label;
}

/**
 * Adds a round's labels all or nothing: the file is rewritten (temporary file, fsync, rename) with the new lines
 * after the old bytes, so a kill leaves either the old file or the new one, never part of a round (which would
 * retrain the head on some of a batch and make a resubmitted batch label those records twice). The cost is
 * O(labels) per round, a few hundred kilobytes at most. A fragment torn by an older appending writer is cut
 * (it was never acknowledged to anyone); a complete last label that only lacks its newline is kept.
 */
export async function appendLabels(file: string, labels: Label[]): Promise<LabelsRead> {
  const old = await readLabelsBytes(file);
  const { tornBytes, missingNewline } = parseLabels(old, file);
  const kept = old.subarray(0, old.length - tornBytes);
  const added = Buffer.from(
    (missingNewline ? '\n' : '') + labels.map((l) => JSON.stringify(l) + '\n').join(''),
    'utf8',
  );
  const bytes = Buffer.concat([kept, added]);
  if (labels.length > 0) await writeFileAtomic(file, bytes);
  // What was written, read back from the bytes themselves: the caller's labels then match the file exactly,
  // even when the file had changed on disk since the caller last read it.
  return parseLabels(labels.length > 0 ? bytes : old, file);
}

/** A merge left the file conflicted: refused with what to run, never read as a damaged JSON line. */
function checkNoConflictMarkers(bytes: Buffer, file: string): void {
  if (bytes.indexOf('<<<<<<<') < 0) return;
  const line = firstConflictLine(bytes.toString('utf8'));
  if (line !== null) throw conflictError(file, line);
}
