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
      if (v.trim() === '' || !(s >= -1 && s <= 1)) {
        throw new VectorTuneError(`data line ${i + 1}: score "${v}" is not a number from -1 to +1.`, options.file);
      }
      return s;
    });
  } else if (options.labelColumn && options.positive !== undefined) {
    scores = column(csv, options.labelColumn, options.file).map((v) => (v === options.positive ? 1 : -1));
  } else {
    throw new VectorTuneError('an answer sheet needs either a score column, or a label column and the positive label.', options.file);
  }
  return new Map(ids.map((id, i) => [id, scores[i]]));
}
