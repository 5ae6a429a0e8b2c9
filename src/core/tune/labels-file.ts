import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { appendDurable } from '../fs/durable';
import { sha256 } from '../util/hash';

/**
 * `labels.jsonl`: every score the user gave, appended and fsynced before it is used, one JSON object per
 * line. It is the source of truth: the weights are a function of it (and the start point), so a head can be
 * rebuilt exactly, reviewed in a diff, and nothing acknowledged is lost in a crash.
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
}

export interface LabelsRead {
  labels: Label[];
  /** sha256 of the bytes the labels were read from (what the weights file records). */
  sha256: string;
  /** A last line cut short by a crash: it was never acknowledged, so it is reported and ignored. */
  tornTail: string | null;
  /** Its length in bytes (what to cut before the next append). */
  tornBytes: number;
  /** The last line is a complete label without its newline (a hand edit): the next append adds one. */
  missingNewline: boolean;
}

export async function readLabels(file: string): Promise<LabelsRead> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { labels: [], sha256: sha256(''), tornTail: null, tornBytes: 0, missingNewline: false };
    throw new VectorTuneError(`cannot read the labels file (${(err as NodeJS.ErrnoException).code}).`, file);
  }
  // Split on the last newline byte, not in decoded text: a kill can cut a multi-byte character in half.
  const end = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes.subarray(0, end).toString('utf8').split('\n');
  const labels = lines
    .map((line, i) => ({ line, lineNo: i + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, lineNo }) => parseLabel(line, file, lineNo));
  const tail = bytes.subarray(end);
  if (tail.length === 0 || tail.toString('utf8').trim() === '') {
    return { labels, sha256: sha256(bytes), tornTail: null, tornBytes: 0, missingNewline: false };
  }
  const last = tryParseLabel(tail.toString('utf8'), file, lines.length);
  if (last) return { labels: [...labels, last], sha256: sha256(bytes), tornTail: null, tornBytes: 0, missingNewline: true };
  return { labels, sha256: sha256(bytes.subarray(0, end)), tornTail: tail.toString('utf8'), tornBytes: tail.length, missingNewline: false };
}

function tryParseLabel(line: string, file: string, lineNo: number): Label | null {
  try {
    return parseLabel(line, file, lineNo);
  } catch {
    return null;
  }
}

export function parseLabel(line: string, file: string, lineNo: number): Label {
  let raw: Label;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new VectorTuneError(`line ${lineNo} of the labels file is not valid JSON.`, file, 'Fix or remove that line; every other line is kept.');
  }
  const bad = (what: string) => new VectorTuneError(`line ${lineNo} of the labels file: ${what}.`, file, 'Fix or remove that line.');
  if (!raw || typeof raw !== 'object') throw bad('expected a JSON object');
  if (typeof raw.id !== 'string' || raw.id === '') throw bad('"id" must be a non-empty string');
  if (typeof raw.score !== 'number' || !(raw.score >= -1 && raw.score <= 1)) throw bad('"score" must be a number from -1 to +1');
  if (!Number.isInteger(raw.round) || raw.round < 0) throw bad('"round" must be a non-negative integer');
  if (raw.path !== undefined && typeof raw.path !== 'string') throw bad('"path" must be a string');
  return { id: raw.id, path: raw.path, score: raw.score, round: raw.round, time: String(raw.time ?? '') };
}

/**
 * Appends labels durably. If a previous writer was killed mid-line, the torn fragment is cut first (by its
 * bytes) so the file stays one valid object per line (the fragment was never acknowledged to anyone); a
 * complete last label that only lacks its newline is kept.
 */
export async function appendLabels(file: string, labels: Label[]): Promise<void> {
  if (labels.length === 0) return;
  const { tornBytes, missingNewline } = await readLabels(file);
  if (tornBytes > 0) {
    const { size } = await fs.stat(file);
    await fs.truncate(file, size - tornBytes);
  }
  await appendDurable(file, (missingNewline ? '\n' : '') + labels.map((l) => JSON.stringify(l) + '\n').join(''));
}
