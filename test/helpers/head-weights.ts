import { type HeadWeights, validateWeights } from '../../src/core/head/weights-file';

/** A valid head of `modelId` with these weights (and centre), as a weights file would hold it. */
export function weightsFor(
  name: string,
  modelId: string,
  w: number[],
  b = 0,
  centre: number[] | null = null,
): HeadWeights {
  const now = '2025-01-01T00:00:00.000Z';
  return validateWeights(
    {
      format: 'vector-tune-head',
      version: 1,
      name,
      model: { id: modelId, dimension: w.length },
      preprocessing: { centre, normalise: 'l2' },
      w,
      b,
      training: {
        learningRate: 0.5,
        stepsPerBatch: 20,
        batchSize: 16,
        l2: 0.001,
        seed: 1,
        loss: 'bce-with-logits',
        target: '(score + 1) / 2',
      },
      start: { kind: 'examples', ids: ['x'], w, b },
      labels: { file: 'labels.jsonl', count: 7, rounds: 2, sha256: '' },
      createdAt: now,
      updatedAt: now,
    },
    'test',
  );
}
