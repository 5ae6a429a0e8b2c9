import { VectorTuneError } from '../errors';
import { toPosixRelative } from '../ingest/walk';
import { AnswerSheetOptions, readAnswerSheet } from '../tune/answer-sheet';
import type { RankedRecord } from './rank';

/**
 * Where the true classes of a held-out set come from:
 * - `folders`: class sub-folders. A record is positive when a folder of its path (below `under`, a
 *   workspace-relative folder) is named `positive`; every other record below `under` is negative, and
 *   records elsewhere have no answer. Evaluating a folder sets `under` to that folder, so the folder's own
 *   name and its parents never count as a class.
 * - `answers`: a CSV answer sheet (an id column and a label column with the positive value, or a score
 *   column where a score above 0 is positive). Records missing from the sheet have no answer.
 */
export type TruthSpec =
  { kind: 'folders'; positive: string; under?: string } | { kind: 'answers'; sheet: AnswerSheetOptions };

/** How the truth is recorded in a report: portable (paths relative to the workspace root). */
export interface TruthDescription {
  kind: TruthSpec['kind'];
  /** One line, e.g. `label = hat in data/answers.csv` or `sub-folder "hat" of test-images/`. */
  description: string;
  positive: string;
}

export interface Truth {
  description: TruthDescription;
  /** true / false, or undefined when the record has no answer. */
  of(record: RankedRecord): boolean | undefined;
}

export async function loadTruth(spec: TruthSpec, root: string): Promise<Truth> {
  if (spec.kind === 'folders') return folderTruth(spec.positive, spec.under ?? '');
  const answers = await readAnswerSheet(spec.sheet);
  const s = spec.sheet;
  const file = portablePath(root, s.file);
  const column = s.scoreColumn ? `${s.scoreColumn} > 0` : `${s.labelColumn} = ${s.positive}`;
  return {
    description: {
      kind: 'answers',
      description: `${column} in ${file} (ids: ${s.idColumn})`,
      positive: s.scoreColumn ? `${s.scoreColumn} > 0` : s.positive!,
    },
    of: (r) => {
      const score = answers.get(r.id);
      return score === undefined ? undefined : score > 0;
    },
  };
}

function folderTruth(positive: string, under: string): Truth {
  if (positive === '' || positive.includes('/') || positive.includes('\\')) {
    throw new VectorTuneError(
      `"${positive}" is not a folder name; the positive class is the name of one sub-folder (e.g. hat).`,
    );
  }
  const prefix = folderPrefix(under);
  return {
    description: { kind: 'folders', description: `sub-folder "${positive}" of ${prefix || './'}`, positive },
    of: (r) => {
      const p = r.path ?? r.id;
      if (!p.startsWith(prefix)) return undefined;
      // The last segment is the file name: a file called "hat" is not in the class folder "hat".
      return p.slice(prefix.length).split('/').slice(0, -1).includes(positive);
    },
  };
}

/** The folder names found under `under` (any depth), to suggest when a positive class matched nothing. */
export function classFolders(records: RankedRecord[], under: string): string[] {
  const prefix = folderPrefix(under);
  const names = new Set<string>();
  for (const r of records) {
    const p = r.path ?? r.id;
    if (p.startsWith(prefix)) for (const folder of p.slice(prefix.length).split('/').slice(0, -1)) names.add(folder);
  }
  return [...names].sort();
}

/** `a/b` -> `a/b/`; the workspace root (`''` or `.`) -> `''`: what a record path below the folder starts with. */
function folderPrefix(under: string): string {
  return under === '' || under === '.' ? '' : under.replace(/\/+$/, '') + '/';
}

/** Workspace-relative POSIX path for reports (committed, so no machine-specific absolute paths when avoidable). */
export function portablePath(root: string, file: string): string {
  return toPosixRelative(root, file) || '.';
}
