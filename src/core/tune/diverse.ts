import type { Candidate } from '../store/types';

/**
 * Diverse batches. A strategy's best k are often near-duplicates (a burst of one scene, a dense cluster at the top or
 * along the boundary): labelling ten of them teaches about as much as labelling one. So a diverse batch draws a pool
 * of `poolFactor` × k candidates in the strategy's own order and walks it, taking a candidate only when its cosine
 * similarity to every one already taken is below `maxSimilarity` (near-duplicates collapse to the best-ranked one).
 * When the pool runs out first, the batch is filled k-center style: each time the candidate least similar to the
 * batch so far, so the batch is always full while the pool has records.
 *
 * Records already labelled count as taken from the start (`labelled`): a candidate nearly identical to an image the
 * user has scored would teach as little as a second copy in the batch.
 */
export interface DiverseOptions {
  /** The pool is this many times the batch (5-10 is usual). */
  poolFactor: number;
  /** Cosine similarity at or above which two records count as near-duplicates. */
  maxSimilarity: number;
}

export const DIVERSE_DEFAULTS: DiverseOptions = { poolFactor: 5, maxSimilarity: 0.9 };

/**
 * `pool` in the strategy's order, `vectors` its unit vectors by id (records without one are skipped); `labelled` the
 * unit vectors of records already labelled, which the batch keeps its distance from too.
 */
export function pickDiverse(
  pool: readonly Candidate[],
  vectors: ReadonlyMap<string, Float32Array>,
  k: number,
  maxSimilarity: number,
  labelled: readonly Float32Array[] = [],
): Candidate[] {
  const usable = pool.filter((c) => vectors.has(c.id));
  const picked: Candidate[] = [];
  // The highest similarity of each pool record to the batch so far (and to the labelled records), updated as
  // records are taken.
  const closest = new Float64Array(usable.length).fill(-Infinity);
  usable.forEach((c, j) => {
    const v = vectors.get(c.id)!;
    for (const l of labelled) closest[j] = Math.max(closest[j], dot(v, l));
  });
  const taken = new Uint8Array(usable.length);
  const take = (i: number) => {
    taken[i] = 1;
    picked.push(usable[i]);
    const v = vectors.get(usable[i].id)!;
    usable.forEach((c, j) => {
      if (!taken[j]) closest[j] = Math.max(closest[j], dot(v, vectors.get(c.id)!));
    });
  };
  for (let i = 0; i < usable.length && picked.length < k; i++) if (!taken[i] && closest[i] < maxSimilarity) take(i);
  while (picked.length < k && picked.length < usable.length) {
    let best = -1;
    for (let j = 0; j < usable.length; j++) if (!taken[j] && (best < 0 || closest[j] < closest[best])) best = j;
    take(best);
  }
  return picked;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
