import { VectorTuneError } from '../errors';
import { headPaths } from '../head/head-folder';
import type { HeadWeights } from '../head/weights-file';
import { readHeadForEvaluation } from './evaluate';
import { type LastReport, lastReportOf } from './last-report';

/** A committed head as export and predict use it: its weights, the hash of their file, and its newest report of them. */
export interface CommittedHead {
  weights: HeadWeights;
  weightsSha256: string;
  lastReport: LastReport | null;
}

/**
 * Reads the named heads of `headsDir`; they must exist, be distinct, and share one model: one embedding (one model
 * input) feeds them all.
 */
export async function readCommittedHeads(headsDir: string, names: readonly string[]): Promise<CommittedHead[]> {
  if (names.length === 0) throw new VectorTuneError('no heads were named.');
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new VectorTuneError(`the head "${repeated}" is named twice.`);
  const heads: CommittedHead[] = [];
  for (const name of names) {
    const paths = headPaths(headsDir, name);
    const { weights, weightsSha256 } = await readHeadForEvaluation(paths.weights);
    heads.push({ weights, weightsSha256, lastReport: await lastReportOf(paths.dir, weightsSha256) });
  }
  const [first] = heads;
  const other = heads.find(
    (h) => h.weights.model.id !== first.weights.model.id || h.weights.model.dimension !== first.weights.model.dimension,
  );
  if (other) {
    throw new VectorTuneError(
      `the heads "${first.weights.name}" and "${other.weights.name}" were trained on different models ("${first.weights.model.id}", ${first.weights.model.dimension}-d, and "${other.weights.model.id}", ${other.weights.model.dimension}-d): one model cannot feed both.`,
      undefined,
      'Export the heads of each model separately.',
    );
  }
  return heads;
}
