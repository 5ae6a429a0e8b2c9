import type { VectorStore } from '../store/types';
import { VectorTuneError } from '../errors';
import { mixSeed, seededRandom, shuffledIndices } from '../util/random';
import type { AuditSample } from './audit-file';

/**
 * Draws `size` records uniformly at random, without replacement, from the whole store. The ids are sorted before
 * the seeded shuffle, so the same seed on the same collection draws the same sample whatever order the store lists
 * its ids in (Pinecone lists in its own order). Labelled records are not left out: the sample stands for the whole
 * collection, and `auditEstimates` reports how many of it the head was also trained on.
 */
export async function drawAuditSample(store: VectorStore, size: number, seed: number): Promise<AuditSample> {
  if (!Number.isSafeInteger(size) || size < 1) throw new VectorTuneError(`cannot draw an audit sample of ${size}.`);
  const ids: string[] = [];
  for await (const id of store.ids()) ids.push(id);
  if (ids.length === 0) throw new VectorTuneError('the store is empty: index a folder before drawing an audit sample.');
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const order = shuffledIndices(ids.length, seededRandom(mixSeed(seed, 0xa0d1)));
  const chosen = order.slice(0, Math.min(size, ids.length)).map((i) => ids[i]);
  const pathOf = new Map((await store.fetchMeta(chosen)).map((m) => [m.id, m.path]));
  return {
    draw: { seed, size: chosen.length, storeCount: ids.length, drawnAt: new Date().toISOString() },
    items: chosen.map((id) => (pathOf.get(id) ? { id, path: pathOf.get(id), score: null } : { id, score: null })),
  };
}
