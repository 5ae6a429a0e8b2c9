import { VectorTuneError } from '../errors';
import { column, readCsv } from '../io/csv';

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
    scores = column(csv, options.labelColumn, options.file).map((v) => (v === options.positive ? 1 : -1));
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

const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
