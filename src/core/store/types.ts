import type { ModelPrecision } from '../embed/precision';

/**
 * The vector store contract. The embedded flat store implements it now; Pinecone implements it for teams.
 * Vectors are stored already centred (when the store centres) and L2-normalised, so a head's `w·x + b`
 * is computed the same way whatever the store.
 */

/** One stored item: an image (path + content hash) or an imported embedding row (path optional). */
export interface RecordMeta {
  /** Stable, unique id: a workspace-relative path for images, a CSV column for imports. */
  id: string;
  /** Source file, relative to the store's workspace root (POSIX separators); absent for imports without one. */
  path?: string;
  /** sha256 of the source file's bytes, so re-indexing skips unchanged files. */
  hash?: string;
  /** Size and modification time of the source when embedded: a cheap first check before hashing. */
  size?: number;
  mtimeMs?: number;
}

export interface VectorRecord extends RecordMeta {
  vector: Float32Array;
}

/** What a store holds vectors of: the model, its dimension and the centring mean (when vectors are centred). */
export interface StoreIdentity {
  modelId: string;
  dimension: number;
  /** The model's precision; absent: fp32. */
  precision?: ModelPrecision;
  centringMean?: Float32Array | null;
}

/** How candidates are ranked. */
export type Ranking =
  /** Highest `w·x` first: the records the head is most sure are positive (the seed notebook's method). */
  | { kind: 'top' }
  /** Smallest `|w·x + b|` first: the records the head is least sure about. */
  | { kind: 'boundary'; bias: number };

export interface QueryOptions {
  k: number;
  ranking: Ranking;
  /** Exclude records this head has seen. Omit to search everything. */
  unseenBy?: string;
}

export interface Candidate {
  id: string;
  path?: string;
  /** `w·x` (add the head's bias for a logit). */
  dot: number;
}

export interface StoreInfo {
  /** The embedding model that produced the vectors; a head or another vector from another model is refused. */
  modelId: string;
  dimension: number;
  /** The precision of the model that made the vectors (precision-check.ts); absent: fp32. */
  precision?: ModelPrecision;
  /** Mean subtracted before normalisation, or null when the store does not centre. */
  centringMean: Float32Array | null;
}

export interface VectorStore {
  readonly info: StoreInfo;
  /**
   * Names this store (kind, place, creation time) for state kept outside it: a head's record of what it marked
   * (seen-markers.ts) holds only for the store it was written against, not for one made again in the same place.
   */
  readonly scope: string;
  /** The largest `k` one query answers (Pinecone: 10,000); absent: any. */
  readonly maxQueryK?: number;
  count(): Promise<number>;
  /** Inserts or replaces records by id. */
  upsert(records: VectorRecord[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  query(w: Float32Array, options: QueryOptions): Promise<Candidate[]>;
  fetch(ids: string[]): Promise<VectorRecord[]>;
  /**
   * Readies a seen marker (a head's id; any string in tests) so that `unseenBy` it matches every record it has not
   * marked, those upserted later included. Idempotent; a head's session calls it when the head starts and opens.
   * Costs a constant number of requests, whatever the collection's size.
   */
  prepareMarker(head: string): Promise<void>;
  markSeen(head: string, ids: string[]): Promise<void>;
  /** Unmarks these records (a removed label: its image may be offered again). Unknown ids are ignored. */
  unmarkSeen(head: string, ids: string[]): Promise<void>;
  resetSeen(head: string): Promise<void>;
  seenCount(head: string): Promise<number>;
  ids(): AsyncIterable<string>;
  close(): Promise<void>;
  /**
   * The metadata of these records (no vectors), in the order asked; unknown ids are left out. What
   * incremental indexing compares with the files on disk (hash, size, mtime), whatever the store.
   */
  fetchMeta(ids: string[]): Promise<RecordMeta[]>;
  /** Every id that starts with `prefix` (`''`: every id). Pinecone lists by id prefix; the embedded store filters. */
  idsStartingWith(prefix: string): AsyncIterable<string>;
}
