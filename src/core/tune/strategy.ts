import type { Candidate, VectorStore } from '../store/types';

/**
 * Which unseen records to show next:
 * - `top`: highest w·x, the records the head rates most positive (the seed notebook's method; finds
 *   positives fast, which matters most for rare classes);
 * - `boundary`: smallest |w·x + b|, the records the head is least sure about (classic uncertainty sampling);
 * - `mixed`: half of each, so the head keeps finding positives while it sharpens its boundary.
 */
export const STRATEGIES = ['top', 'boundary', 'mixed'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export function isStrategy(s: string): s is Strategy {
  return (STRATEGIES as readonly string[]).includes(s);
}

export async function selectCandidates(
  store: VectorStore,
  w: Float32Array,
  bias: number,
  k: number,
  strategy: Strategy,
  head: string,
): Promise<Candidate[]> {
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
