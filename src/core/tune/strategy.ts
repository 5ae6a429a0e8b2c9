import type { Candidate, VectorStore } from '../store/types';
import { DIVERSE_DEFAULTS, pickDiverse } from './diverse';

/**
 * Which unseen records to show next:
 * - `top`: highest w·x, the records the head rates most positive (the seed notebook's method; finds
 *   positives fast, which matters most for rare classes);
 * - `boundary`: smallest |w·x + b|, the records the head is least sure about (classic uncertainty sampling);
 * - `mixed`: half of each, so the head keeps finding positives while it sharpens its boundary.
 * Each has a `-diverse` variant (`top-diverse`, ...): the same order, near-duplicates collapsed (diverse.ts).
 */
export const STRATEGIES = ['top', 'boundary', 'mixed'] as const;
export type BaseStrategy = (typeof STRATEGIES)[number];
export type Strategy = BaseStrategy | `${BaseStrategy}-diverse`;
export const ALL_STRATEGIES: readonly Strategy[] = [...STRATEGIES, ...STRATEGIES.map((s) => `${s}-diverse` as const)];

export function isStrategy(s: string): s is Strategy {
  return (ALL_STRATEGIES as readonly string[]).includes(s);
}

/** For the -diverse strategies: the near-duplicate similarity (default 0.9), and the records already labelled. */
export interface DiverseChoice {
  maxSimilarity?: number;
  labelled?: readonly string[];
}

export async function selectCandidates(
  store: VectorStore,
  w: Float32Array,
  bias: number,
  k: number,
  strategy: Strategy,
  head: string,
  diverse: DiverseChoice = {},
): Promise<Candidate[]> {
  if (strategy.endsWith('-diverse')) {
    const base = strategy.slice(0, -'-diverse'.length) as BaseStrategy;
    const pool = await selectCandidates(store, w, bias, k * DIVERSE_DEFAULTS.poolFactor, base, head);
    const labelled = diverse.labelled ?? [];
    const fetched = await store.fetch([...pool.map((c) => c.id), ...labelled]);
    const vectors = new Map(fetched.map((r) => [r.id, r.vector]));
    const labelledVectors = labelled.filter((id) => vectors.has(id)).map((id) => vectors.get(id)!);
    return pickDiverse(pool, vectors, k, diverse.maxSimilarity ?? DIVERSE_DEFAULTS.maxSimilarity, labelledVectors);
  }
  const top = () => store.query(w, { k, ranking: { kind: 'top' }, unseenBy: head });
  const boundary = () => store.query(w, { k, ranking: { kind: 'boundary', bias }, unseenBy: head });
  if (strategy === 'top') return top();
  if (strategy === 'boundary') return boundary();
  // Mixed: alternate top and boundary picks, skipping duplicates, so either list fills in when the other runs dry.
  const [a, b] = await Promise.all([top(), boundary()]);
  const picked = new Map<string, Candidate>();
  for (let i = 0; picked.size < k && (i < a.length || i < b.length); i++) {
    for (const c of [a[i], b[i]]) if (c && picked.size < k && !picked.has(c.id)) picked.set(c.id, c);
  }
  return [...picked.values()];
}
