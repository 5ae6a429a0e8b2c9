import { strict as assert } from 'node:assert';
import { headPathsIn } from '../../src/core/head/head-folder';
import { readWeights } from '../../src/core/head/weights-file';
import type { VectorStore } from '../../src/core/store/types';
import { readLabels } from '../../src/core/tune/labels-file';
import { fetchLabelVectors, replay } from '../../src/core/tune/replay';

/**
 * Requires the head's weights file to be, bit for bit, a replay of its labels file from its start point, and to
 * record that file's hash: the weights are a function of the labels on disk, whatever edited them.
 */
export async function assertWeightsReplayLabels(headDir: string, store: VectorStore, why: string): Promise<void> {
  const paths = headPathsIn(headDir);
  const weights = await readWeights(paths.weights);
  const { labels, sha256 } = await readLabels(paths.labels);
  const vectors = new Map<string, Float32Array>();
  await fetchLabelVectors(store, labels, vectors);
  const { learningRate, stepsPerBatch, batchSize, l2, seed } = weights.training;
  const expected = replay(weights.start, labels, vectors, { learningRate, stepsPerBatch, batchSize, l2, seed });
  assert.deepEqual(weights.w, Array.from(expected.w), `${why}: w is a replay of labels.jsonl`);
  assert.equal(weights.b, expected.b, `${why}: b is a replay of labels.jsonl`);
  assert.equal(weights.labels.sha256, sha256, `${why}: the weights record the labels file's hash`);
}
