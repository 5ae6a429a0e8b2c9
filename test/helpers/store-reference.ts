import type { Ranking, VectorRecord } from '../../src/core/store/types';
import { randomUnitVectors } from './vectors';

/** `n` seeded records of `dimension`-d unit vectors, ids `<prefix><i>`, with a path and a hash each. */
export function seededRecords(n: number, dimension: number, seed: number, prefix = 'r'): VectorRecord[] {
  const data = randomUnitVectors(n, dimension, seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    path: `img/${prefix}${i}.jpg`,
    hash: `h${i}`,
    vector: data.slice(i * dimension, (i + 1) * dimension),
  }));
}

/** The obvious reference every store is held to: score everything, sort (ties by insertion order), take k. */
export function bruteForceTopK(
  all: VectorRecord[],
  w: Float32Array,
  k: number,
  ranking: Ranking,
  seen: Set<string>,
): { id: string; dot: number }[] {
  return all
    .filter((r) => !seen.has(r.id))
    .map((r, i) => {
      const dot = r.vector.reduce((s, v, j) => s + v * w[j], 0);
      return { id: r.id, i, dot, key: ranking.kind === 'top' ? dot : -Math.abs(dot + ranking.bias) };
    })
    .sort((a, b) => b.key - a.key || a.i - b.i)
    .slice(0, k)
    .map(({ id, dot }) => ({ id, dot }));
}
