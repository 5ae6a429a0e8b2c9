import { VectorTuneError } from '../errors';
import { column, readCsv } from '../io/csv';
import type { VectorStore } from '../store/types';

/**
 * Scores known in advance, from a CSV: a simulated labeller for tests and benchmarks, and the way to replay
 * labels a user already has. Either a label column (the positive value scores +1, anything else -1) or a
 * numeric score column (-1..+1).
 */
export interface AnswerSheetOptions {
  file: string;
  idColumn: string;
  labelColumn?: string;
  positive?: string;
  scoreColumn?: string;
}

export async function readAnswerSheet(options: AnswerSheetOptions): Promise<Map<string, number>> {
  const csv = await readCsv(options.file);
  const ids = column(csv, options.idColumn, options.file);
  let scores: number[];
  if (options.scoreColumn) {
    scores = column(csv, options.scoreColumn, options.file).map((v, i) => {
      const s = Number(v);
      // Decimal notation only: Number() would also read "0x1" or "0b1" as 1, a typo silently becoming a score.
      if (!DECIMAL.test(v) || !(s >= -1 && s <= 1)) {
        throw new VectorTuneError(`data line ${i + 1}: score "${v}" is not a number from -1 to +1.`, options.file);
      }
      return s;
    });
  } else if (options.labelColumn && options.positive !== undefined) {
    const labels = column(csv, options.labelColumn, options.file);
    checkPositiveOccurs(labels, options.positive, options.labelColumn, options.file);
    scores = labels.map((v) => (v === options.positive ? 1 : -1));
  } else {
    throw new VectorTuneError(
      'an answer sheet needs either a score column, or a label column and the positive label.',
      options.file,
    );
  }
  const answers = new Map<string, number>();
  const lineOf = new Map<string, number>();
  ids.forEach((id, i) => {
    const earlier = answers.get(id);
    if (earlier !== undefined && earlier !== scores[i]) {
      // Keeping either answer would silently label the record the other way.
      throw new VectorTuneError(
        `data lines ${lineOf.get(id)! + 1} and ${i + 1} give "${id}" two different answers (${earlier} and ${scores[i]}).`,
        options.file,
        'Keep one line per id, or make the duplicates agree.',
      );
    }
    answers.set(id, scores[i]);
    lineOf.set(id, lineOf.get(id) ?? i);
  });
  return answers;
}

/**
 * A positive value that no line has is a typo ("Hats" for "hat") or the wrong column: taken as it is, every record
 * would be scored -1 and the head trained away from its own class, with nothing said.
 */
function checkPositiveOccurs(labels: string[], positive: string, labelColumn: string, file: string): void {
  if (labels.length === 0) throw new VectorTuneError('the answer sheet has no data lines.', file);
  if (labels.includes(positive)) return;
  const counts = new Map<string, number>();
  for (const v of labels) counts.set(v, (counts.get(v) ?? 0) + 1);
  const values = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([v]) => `"${v}"`);
  // Case, spaces and a plural "s" are the usual slips ("Hats" for "hat").
  const loose = (v: string) => v.trim().toLowerCase().replace(/s$/, '');
  const near = [...counts.keys()].find((v) => loose(v) === loose(positive));
  throw new VectorTuneError(
    `no line has "${positive}" in the column "${labelColumn}"; its values are ${values.slice(0, 12).join(', ')}${values.length > 12 ? ` and ${values.length - 12} more` : ''}.`,
    file,
    near !== undefined
      ? `Did you mean --positive ${near}? Values are compared exactly.`
      : 'Check the positive value and the label column.',
  );
}

const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** How many of the sheet's ids are looked up to tell "covers part of the store" from "names none of it". */
const ANSWER_PROBE = 2_000;

/**
 * A batch with no answer at all is normal when the sheet covers part of the store, but when none of its ids is in
 * the store (a path prefix missing, another id column), every round would mark a batch seen and label nothing.
 */
export async function requireAnswersInStore(
  store: VectorStore,
  answers: Map<string, number>,
  file: string,
  batch: readonly { id: string }[],
): Promise<void> {
  const probe = [...answers.keys()].slice(0, ANSWER_PROBE);
  if ((await store.fetchMeta(probe)).length > 0) return;
  throw new VectorTuneError(
    `none of the first ${probe.length} ids of the answer sheet is in the store (the sheet says "${probe[0] ?? ''}", the store has "${batch[0]?.id ?? ''}").`,
    file,
    "Make the id column hold the store's ids (--id-column; ids are paths relative to the workspace root), then tune again.",
  );
}
