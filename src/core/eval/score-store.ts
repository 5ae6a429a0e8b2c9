import type { Candidate, VectorStore } from '../store/types';

/** Ids fetched per request when scoring every record (Pinecone's fetch takes at most 1,000; the adapter sends 100 a request). */
const SCAN_CHUNK = 1000;

export interface ScoreStoreOptions {
  /** Only the best `top` (one query when the store answers that many at once); omit for every record. */
  top?: number;
  /** Records scored so far of the store's count, while every record is read. */
  onProgress?: (done: number, total: number) => void;
  /** Said once before every record is read page by page (a Pinecone index past one query's limit). */
  onFullRead?: (count: number, limit: number) => void;
}

/**
 * Every record's `w·x` (or the best `top`), best first. A store answers up to `maxQueryK` in one query (Pinecone:
 * 10,000); past that, the records are listed and fetched in pieces and scored here, exactly: a pass over the
 * whole collection, which `onFullRead` announces so a command can say what it costs.
 */
export async function scoreStore(
  store: VectorStore,
  w: Float32Array,
  options: ScoreStoreOptions = {},
): Promise<Candidate[]> {
  const count = await store.count();
  const k = Math.min(options.top ?? count, count);
  if (k <= (store.maxQueryK ?? Infinity)) return store.query(w, { k, ranking: { kind: 'top' } });
  options.onFullRead?.(count, store.maxQueryK!);
  const scored: Candidate[] = [];
  let chunk: string[] = [];
  const flush = async () => {
    for (const r of await store.fetch(chunk)) {
      let dot = 0;
      for (let i = 0; i < w.length; i++) dot += w[i] * r.vector[i];
      scored.push({ id: r.id, path: r.path, dot });
    }
    chunk = [];
    options.onProgress?.(scored.length, count);
  };
  for await (const id of store.ids()) {
    chunk.push(id);
    if (chunk.length >= SCAN_CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  // Ties by id, so the order does not depend on the listing's.
  scored.sort((a, b) => b.dot - a.dot || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return scored.slice(0, k);
}

/** What a command says before it reads every record: why, and what it costs. */
export function fullReadNotice(count: number, limit: number): string {
  return (
    `scoring all ${count.toLocaleString('en-US')} records, more than the ${limit.toLocaleString('en-US')} one query returns: ` +
    'every record is listed and fetched in pieces, a pass over the whole collection'
  );
}
