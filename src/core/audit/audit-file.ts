import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';

/**
 * `audit.jsonl` in a head's folder: a seeded, uniformly random sample of the store, frozen when drawn, and the
 * scores the user gave its records. It is committed with the head and never trained on: the labels the loop
 * collects are picked by the head itself, so metrics on them flatter it; a random sample does not.
 *
 * The first line says how the sample was drawn; every other line is one record, `score` null until scored:
 *   {"audit":1,"seed":7,"size":200,"storeCount":3068,"drawnAt":"2026-12-04T10:00:00.000Z"}
 *   {"id":"images/a.jpg","path":"images/a.jpg","score":null}
 * The file is small (a few hundred lines), so scoring rewrites it atomically.
 */
export const AUDIT_FILE_NAME = 'audit.jsonl';
export const AUDIT_FORMAT = 1;

export interface AuditDraw {
  seed: number;
  /** Records drawn (fewer than asked when the store held fewer). */
  size: number;
  /** Records in the store when drawn: the population the sample stands for. */
  storeCount: number;
  drawnAt: string;
}

export interface AuditItem {
  id: string;
  path?: string;
  /** -1..+1 as in labels.jsonl; null until scored. Above 0 counts as positive, below 0 as negative, 0 as unsure. */
  score: number | null;
}

export interface AuditSample {
  draw: AuditDraw;
  items: AuditItem[];
}

export function auditFileOf(headDir: string): string {
  return path.join(headDir, AUDIT_FILE_NAME);
}

/** The head's audit sample, or null when none was drawn. */
export async function readAudit(file: string): Promise<AuditSample | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new VectorTuneError(`cannot read the audit file (${(err as NodeJS.ErrnoException).code}).`, file);
  }
  return parseAudit(text, file);
}

export function parseAudit(text: string, file: string): AuditSample {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const bad = (lineNo: number, what: string) =>
    new VectorTuneError(
      `line ${lineNo} of the audit file: ${what}.`,
      file,
      'Restore the file from git, or delete it and draw a new sample (vector-tune audit --draw N).',
    );
  const json = (line: string, lineNo: number): Record<string, unknown> => {
    try {
      const v: unknown = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw bad(lineNo, 'expected a JSON object');
  };
  if (lines.length === 0) throw bad(1, 'the file is empty (no draw line)');
  const head = json(lines[0], 1);
  if (head.audit !== AUDIT_FORMAT) throw bad(1, `expected {"audit":${AUDIT_FORMAT},...} (the draw line)`);
  const whole = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!Number.isSafeInteger(head.seed)) throw bad(1, '"seed" must be a whole number');
  if (!whole(head.size) || !whole(head.storeCount)) throw bad(1, '"size" and "storeCount" must be whole numbers');
  const draw: AuditDraw = {
    seed: head.seed as number,
    size: head.size as number,
    storeCount: head.storeCount as number,
    drawnAt: typeof head.drawnAt === 'string' ? head.drawnAt : '',
  };
  const seen = new Set<string>();
  const items = lines.slice(1).map((line, i): AuditItem => {
    const lineNo = i + 2;
    const raw = json(line, lineNo);
    if (typeof raw.id !== 'string' || raw.id === '') throw bad(lineNo, '"id" must be a non-empty string');
    if (seen.has(raw.id)) throw bad(lineNo, `"${raw.id}" is in the sample twice`);
    seen.add(raw.id);
    const score = raw.score ?? null;
    if (score !== null && (typeof score !== 'number' || !(score >= -1 && score <= 1)))
      throw bad(lineNo, '"score" must be null or a number from -1 to +1');
    if (raw.path !== undefined && typeof raw.path !== 'string') throw bad(lineNo, '"path" must be a string');
    return raw.path === undefined ? { id: raw.id, score } : { id: raw.id, path: raw.path, score };
  });
  if (items.length !== draw.size) throw bad(1, `"size" is ${draw.size} but the file lists ${items.length} records`);
  return { draw, items };
}

export function formatAudit(sample: AuditSample): string {
  const { seed, size, storeCount, drawnAt } = sample.draw;
  const head = JSON.stringify({ audit: AUDIT_FORMAT, seed, size, storeCount, drawnAt });
  return [head, ...sample.items.map((i) => JSON.stringify(i))].join('\n') + '\n';
}

export async function writeAudit(file: string, sample: AuditSample): Promise<void> {
  await writeFileAtomic(file, formatAudit(sample));
}

/**
 * Gives scores to records of the sample (the latest wins). Ids outside the sample are returned, not added: the
 * sample is frozen when drawn, and a record chosen by hand would make it no longer random.
 */
export function scoreAudit(
  sample: AuditSample,
  scores: Map<string, number>,
): { sample: AuditSample; outside: string[] } {
  for (const [id, s] of scores) {
    if (!(s >= -1 && s <= 1)) throw new VectorTuneError(`the score of "${id}" (${s}) is not a number from -1 to +1.`);
  }
  const inSample = new Set(sample.items.map((i) => i.id));
  const items = sample.items.map((i) => (scores.has(i.id) ? { ...i, score: scores.get(i.id)! } : i));
  return { sample: { ...sample, items }, outside: [...scores.keys()].filter((id) => !inSample.has(id)) };
}
