import type { HeadWeights } from '../../src/core/head/weights-file';
import { sha256 } from '../../src/core/util/hash';

/**
 * One version of a head's weights as the crash checks compare them: the label count it was trained on and a hash of
 * w and b (timestamps and the labels file's hash, which holds the labels' times, left out).
 */
export function weightsDigest(w: Pick<HeadWeights, 'w' | 'b' | 'labels'>): string {
  return `${w.labels.count}:${sha256(JSON.stringify([w.w, w.b])).slice(0, 16)}`;
}
