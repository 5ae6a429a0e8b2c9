import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { conflictSides, conflictUnion, firstConflictLine } from '../fs/conflict-markers';
import { writeFileAtomic } from '../fs/durable';
import { headPathsIn } from '../head/head-folder';
import { ensureHeadGitattributes } from '../head/head-gitattributes';
import { parseWeightsText, writeWeights } from '../head/weights-file';
import type { VectorStore } from '../store/types';
import { TuningSession } from './session';

/**
 * `vector-tune rebuild` / "Rebuild Head": rewrites a head's weights from its start point and labels. It also
 * finishes a merge that left the head's files conflicted: the labels keep both sides' lines (what a union merge
 * writes: labels are never dropped), and the weights take one side, which is fine because the start point,
 * id and settings are the same on both (checked) and w and b are rebuilt anyway.
 */
export async function rebuildHead(
  headDir: string,
  store: VectorStore,
): Promise<{ session: TuningSession; notes: string[] }> {
  const paths = headPathsIn(headDir);
  const notes: string[] = [];
  const labelsText = await fs.readFile(paths.labels, 'utf8').catch(() => '');
  if (firstConflictLine(labelsText) !== null) {
    await writeFileAtomic(paths.labels, conflictUnion(labelsText));
    notes.push('kept the labels of both sides of the merge conflict in labels.jsonl.');
  }
  const weightsText = await fs.readFile(paths.weights, 'utf8').catch(() => '');
  if (firstConflictLine(weightsText) !== null) {
    const { ours, theirs } = conflictSides(weightsText);
    const [a, b] = [parseWeightsText(ours, paths.weights), parseWeightsText(theirs, paths.weights)];
    const same = (x: object, y: object) => JSON.stringify(x) === JSON.stringify(y);
    if (a.id !== b.id || !same(a.start, b.start) || !same(a.training, b.training) || !same(a.model, b.model))
      throw new VectorTuneError(
        'the two sides of the merge conflict in the weights file are different heads (another start point, id, model or settings), so they cannot be rebuilt from one labels file.',
        paths.weights,
        'Keep one side (git checkout --ours or --theirs classifier.weights.json), then run rebuild again.',
      );
    await writeWeights(paths.weights, a);
    notes.push('took one side of the merge conflict in classifier.weights.json (both have the same start point).');
  }
  const { session, repairs } = await TuningSession.open(headDir, store);
  notes.push(...repairs.filter((r) => !r.startsWith('retrained from') /* rebuild retrains anyway */));
  await session.retrainFromLabels();
  await ensureHeadGitattributes(headDir);
  return { session, notes };
}
