import { VectorTuneError } from '../errors';
import type { HeadWeights } from './weights-file';

/** Refuses a model other than the head's own: its embeddings would be meaningless to the head's w. */
export function checkModelFitsHead(
  weights: HeadWeights,
  model: { modelId: string; dimension: number },
  hint = 'Pass --model with the model the head was trained on.',
): void {
  if (model.modelId !== weights.model.id || model.dimension !== weights.model.dimension) {
    throw new VectorTuneError(
      `the head "${weights.name}" was trained on ${weights.model.dimension}-d embeddings of "${weights.model.id}", not ${model.dimension}-d embeddings of "${model.modelId}".`,
      undefined,
      hint,
    );
  }
}

/**
 * Logits of a committed head on raw embeddings (as a model or an .npy file gives them): the head's own
 * preprocessing (centre, then L2-normalise) is applied first, exactly as the Python snippet in
 * weights-file.ts does, so scores match across tools.
 */
export function logitsOfRaw(weights: HeadWeights, data: Float32Array, rows: number): Float64Array {
  const d = weights.model.dimension;
  const centre = weights.preprocessing.centre;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const off = r * d;
    let dotWx = 0;
    let sq = 0;
    for (let i = 0; i < d; i++) {
      const x = data[off + i] - (centre ? centre[i] : 0);
      dotWx += weights.w[i] * x;
      sq += x * x;
    }
    out[r] = (sq > 0 ? dotWx / Math.sqrt(sq) : 0) + weights.b;
  }
  return out;
}
