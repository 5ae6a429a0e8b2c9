import { VectorTuneError } from '../errors';
import { sigmoid } from '../head/linear-head';
import type { VectorStore } from '../store/types';
import { dot } from '../vector';
import type { BatchCandidate } from './session';

/**
 * Batches the user asks for instead of the head: the records nearest a text query (embedded by CLIP's text
 * encoder, as a prompt start is) or nearest one record's own vector ("more like this"). They are shown and
 * scored like the head's batches, so they exclude what the head has already seen (a labelled record shown again
 * would only invite a second, conflicting score) and carry the head's own logit, not the query's similarity:
 * the card shows what the head currently thinks of the image.
 */
export type SearchQuery = { kind: 'text'; text: string } | { kind: 'similar'; id: string };

/** CLIP reads 77 tokens; a longer query is a mistake (a pasted file), not a search. */
export const MAX_QUERY_CHARS = 1000;

/** The text of a text query, trimmed; refused when empty or too long. */
export function searchText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed)
    throw new VectorTuneError('the search text is empty.', undefined, 'Describe the images to find, e.g. "a red hat".');
  if (trimmed.length > MAX_QUERY_CHARS)
    throw new VectorTuneError(
      `the search text has ${trimmed.length} characters; at most ${MAX_QUERY_CHARS} are accepted.`,
      undefined,
      'CLIP reads about 77 words: describe the images in a sentence.',
    );
  return trimmed;
}

/** The stored vector of one record, the query of "more like this". */
export async function recordVector(store: VectorStore, id: string): Promise<Float32Array> {
  const [record] = await store.fetch([id]);
  if (!record)
    throw new VectorTuneError(
      `"${id}" is not in the store, so there is nothing to find more of.`,
      undefined,
      'Index its folder again, or pick another image.',
    );
  return record.vector;
}

export interface SearchOptions {
  store: VectorStore;
  /** The open head: its weights give each candidate's logit, its marker key what it has seen. */
  head: { w: ArrayLike<number>; b: number };
  seenBy: string;
  query: Float32Array;
  k: number;
  /** Ids never to return (the record "more like this" started from). */
  exclude?: readonly string[];
}

/** The `k` unseen records nearest the query (highest query·x first), each with the head's logit and probability. */
export async function searchBatch(options: SearchOptions): Promise<BatchCandidate[]> {
  const { store, head, seenBy, query, k } = options;
  if (query.length !== store.info.dimension)
    throw new VectorTuneError(
      `the query has ${query.length} dimensions; the store holds ${store.info.dimension}-d vectors of "${store.info.modelId}".`,
    );
  const exclude = new Set(options.exclude ?? []);
  const wanted = k + exclude.size;
  const hits = await store.query(query, {
    k: store.maxQueryK ? Math.min(wanted, store.maxQueryK) : wanted,
    ranking: { kind: 'top' },
    unseenBy: seenBy,
  });
  const picked = hits.filter((c) => !exclude.has(c.id)).slice(0, k);
  // The store ranks by the query; the card shows the head's view, which needs each record's vector.
  const vectors = new Map((await store.fetch(picked.map((c) => c.id))).map((r) => [r.id, r.vector]));
  return picked.flatMap((c) => {
    const x = vectors.get(c.id);
    if (!x) return []; // deleted between the query and the fetch (an index run committing): not shown
    const logit = dot(head.w, x) + head.b;
    return [{ id: c.id, path: c.path, logit, probability: sigmoid(logit) }];
  });
}
