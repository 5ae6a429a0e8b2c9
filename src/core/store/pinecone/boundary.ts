import type { Candidate } from '../types';

/** What boundary ranking needs from the store: top-k queries by `w·x`, and a pass over every (unseen) record. */
export interface BoundarySource {
  nearest(w: Float32Array, k: number): Promise<{ hits: Candidate[]; complete: boolean }>;
  scan(): Promise<Candidate[]>;
}

/**
 * Boundary ranking (smallest |w·x - c|, c = -b) is a fetch-and-rerank, exact, never an approximation. Pinecone
 * ranks only by dot product, so the pool is the top `pool` records by `w·x` and the top `pool` by `-w·x`: together
 * they hold every record whose `w·x` lies outside the gap between the two pools. The reranked top k is returned
 * when the interval `[c - r, c + r]` (r = the k-th distance) avoids that gap, which is provably the exact answer.
 * Otherwise (the boundary sits in the unfetched middle, typical for a large collection) every record is scanned:
 * list + fetch, O(collection) reads.
 */
export async function rankByBoundary(
  source: BoundarySource,
  w: Float32Array,
  k: number,
  c: number,
  pool: number,
): Promise<Candidate[]> {
  const high = await source.nearest(w, pool);
  const negated = await source.nearest(
    w.map((v) => -v),
    pool,
  );
  const low = negated.hits.map((h) => ({ ...h, dot: -h.dot }));
  const byId = new Map([...high.hits, ...low].map((h) => [h.id, h]));
  const ranked = rankBoundary([...byId.values()], c, k);
  const covered =
    high.complete ||
    negated.complete ||
    (high.hits.length > 0 && low.length > 0 && high.hits[high.hits.length - 1].dot <= low[low.length - 1].dot);
  if (covered) return ranked;
  const gapLow = low[low.length - 1].dot; // everything ≤ this is in the pool
  const gapHigh = high.hits[high.hits.length - 1].dot; // everything ≥ this is in the pool
  const r = ranked.length === k ? Math.abs(ranked[k - 1].dot - c) : Infinity;
  if (c + r <= gapLow || c - r >= gapHigh) return ranked;
  return rankBoundary(await source.scan(), c, k);
}

/** Smallest |dot - c| first; ties by higher dot, then id, so the order is deterministic. */
function rankBoundary(candidates: Candidate[], c: number, k: number): Candidate[] {
  return candidates
    .map((h) => ({ h, key: Math.abs(h.dot - c) }))
    .sort((a, b) => a.key - b.key || b.h.dot - a.h.dot || (a.h.id < b.h.id ? -1 : a.h.id > b.h.id ? 1 : 0))
    .slice(0, k)
    .map((x) => x.h);
}
