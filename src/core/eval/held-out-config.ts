import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';
import { parseRowFilter } from '../ingest/row-filter';

/** The head's held-out set, committed beside its weights so every clone evaluates the head on the same data. */
export const HELD_OUT_FILE_NAME = 'held-out.json';
const FORMAT = 'vector-tune-held-out';
const VERSION = 1;

/**
 * What the head is measured on every few rounds: the same two kinds of data with truth that `eval` takes.
 * Paths are relative to the head's folder (POSIX), so the file means the same in every clone wherever the
 * command runs from.
 * - `folder`: images in class sub-folders, `positive` the name of the positive class's sub-folder.
 * - `embeddings`: an .npy with a CSV naming its rows; `labelColumn = positive` is the truth, `where` selects rows.
 */
export type HeldOutSpec =
  | { kind: 'folder'; folder: string; positive: string }
  | {
      kind: 'embeddings';
      npy: string;
      csv: string;
      idColumn: string;
      labelColumn: string;
      positive: string;
      where: string[];
    };

export function heldOutFile(headDir: string): string {
  return path.join(headDir, HELD_OUT_FILE_NAME);
}

/** The head's held-out set, or null when it has none. A file that says something else is refused, naming it. */
export async function readHeldOutSpec(headDir: string): Promise<HeldOutSpec | null> {
  const file = heldOutFile(headDir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VectorTuneError(`is not valid JSON (${(err as Error).message}).`, file, fixHint(headDir));
  }
  return parseSpec(raw, file, headDir);
}

/** Writes (or with null removes) the head's held-out set. */
export async function writeHeldOutSpec(headDir: string, spec: HeldOutSpec | null): Promise<void> {
  const file = heldOutFile(headDir);
  if (spec === null) {
    await fs.rm(file, { force: true });
    return;
  }
  const text = JSON.stringify({ format: FORMAT, version: VERSION, ...spec }, null, 2) + '\n';
  parseSpec(JSON.parse(text), file, headDir); // what is written must read back
  await writeFileAtomic(file, text);
}

/** A path as the file stores it: relative to the head's folder, with forward slashes. */
export function relativeToHead(headDir: string, target: string): string {
  return path.relative(headDir, target).split(path.sep).join('/') || '.';
}

/** A stored path made absolute again. */
export function resolveFromHead(headDir: string, stored: string): string {
  return path.resolve(headDir, stored);
}

/** One line for logs and the CLI: `sub-folder "hat" of ../../../held-out`. */
export function describeHeldOut(spec: HeldOutSpec): string {
  if (spec.kind === 'folder') return `sub-folder "${spec.positive}" of ${spec.folder}/`;
  const where = spec.where.length ? `, where ${spec.where.join(', ')}` : '';
  return `${spec.labelColumn} = ${spec.positive} in ${spec.npy} + ${spec.csv}${where}`;
}

function parseSpec(raw: unknown, file: string, headDir: string): HeldOutSpec {
  const bad = (problem: string) => new VectorTuneError(problem, file, fixHint(headDir));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('is not a JSON object.');
  const o = raw as Record<string, unknown>;
  if (o.format !== FORMAT) throw bad(`has format ${JSON.stringify(o.format)}, expected "${FORMAT}".`);
  if (typeof o.version !== 'number' || o.version > VERSION)
    throw bad(`has version ${JSON.stringify(o.version)}; this Vector Tune reads version ${VERSION}.`);
  const text = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string' || v === '')
      throw bad(`needs "${key}" as a non-empty string (kind "${String(o.kind)}").`);
    return v;
  };
  if (o.kind === 'folder') {
    const positive = text('positive');
    if (positive.includes('/') || positive.includes('\\'))
      throw bad(`"positive" must be the name of one class sub-folder, not "${positive}".`);
    return { kind: 'folder', folder: text('folder'), positive };
  }
  if (o.kind === 'embeddings') {
    const where = o.where ?? [];
    if (!Array.isArray(where) || where.some((w) => typeof w !== 'string'))
      throw bad('needs "where" as a list of column=value strings.');
    for (const w of where as string[]) {
      try {
        parseRowFilter(w);
      } catch (err) {
        throw bad((err as VectorTuneError).problem);
      }
    }
    return {
      kind: 'embeddings',
      npy: text('npy'),
      csv: text('csv'),
      idColumn: typeof o.idColumn === 'string' && o.idColumn !== '' ? o.idColumn : 'path',
      labelColumn: text('labelColumn'),
      positive: text('positive'),
      where: where as string[],
    };
  }
  throw bad(`has kind ${JSON.stringify(o.kind)}; use "folder" or "embeddings".`);
}

function fixHint(headDir: string): string {
  return `Set it again with: vector-tune held-out ${path.basename(headDir)} --folder DIR --positive CLASS (or --npy/--csv/--label-column), or delete the file.`;
}

/**
 * What can be checked of a folder held-out set without the model: the folder is there and has the positive class's
 * sub-folder (the images are embedded, and the truth checked, when the head is next tuned).
 */
export async function checkHeldOutFolder(headDir: string, spec: HeldOutSpec & { kind: 'folder' }): Promise<void> {
  const folder = resolveFromHead(headDir, spec.folder);
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => null);
  if (!entries) throw new VectorTuneError('no such folder of held-out images.', folder);
  const classes = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  if (!classes.includes(spec.positive))
    throw new VectorTuneError(
      `has no sub-folder "${spec.positive}".`,
      folder,
      classes.length
        ? `The class folders are: ${classes.sort().join(', ')}.`
        : 'The images are not in class sub-folders.',
    );
}
