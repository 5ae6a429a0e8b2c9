import type { Index } from '@pinecone-database/pinecone';
import { VectorTuneError } from '../../errors';
import { allFinite } from '../../vector';
import type { Candidate, QueryOptions, Ranking, RecordMeta, StoreInfo, VectorRecord, VectorStore } from '../types';
import type { PineconeConnection } from './connection';
import { toVectorTuneError } from './errors';
import { fromMetadata, seenField, seenFields, toMetadata, unseenFilter, type PineconeMetadata } from './metadata';
import { connectIndex, dataCount, openIndex, type OpenedIndex, type StoreIdentityRequest } from './open-index';

/** How the adapter cuts its requests; the defaults suit Pinecone's limits. */
export interface PineconeTuning {
  /** Upsert request limits: Pinecone allows 1000 vectors and 2 MB per request (defaults 500 and 1.5 MB). */
  maxBatchRecords?: number;
  maxBatchBytes?: number;
  /** Page size of `list` (1-100, default 100). */
  listPageSize?: number;
  /** Candidates fetched from each end of the `w·x` order for boundary ranking (default 1000, at most 10000). */
  boundaryPool?: number;
  /** Parallel single-record updates (markSeen, resetSeen; default 8). */
  concurrency?: number;
}

export type PineconeStoreOptions = PineconeConnection & StoreIdentityRequest & PineconeTuning;

const TOPK_MAX = 10_000;
const FETCH_CHUNK = 100; // ids go in the query string: keep URLs short

/**
 * The `VectorStore` on a Pinecone serverless index (dotproduct metric). One record per item: id, values,
 * metadata `path`, `hash`, `size`, `mtimeMs` and one `seen_<head>` boolean per head (see metadata.ts). The
 * store's model, dimension and centring mean are in a reserved record outside the data (store-record.ts).
 * Counts and listings follow Pinecone's consistency: writes become visible within seconds, not at once.
 */
export class PineconeStore implements VectorStore {
  private constructor(
    readonly info: StoreInfo,
    private readonly index: Index,
    private readonly options: PineconeConnection & PineconeTuning,
  ) {}

  /**
   * Connects for a known model, creating the index when absent; an index of another dimension, metric,
   * model or centring is refused. With `centringMean` undefined the index's own mean is used.
   */
  static async connect(options: PineconeStoreOptions): Promise<PineconeStore> {
    return PineconeStore.from(await connectIndex(options, options), options);
  }

  /** Opens an index a Vector Tune store was made in, for the model its store record names. */
  static async open(options: PineconeConnection & PineconeTuning): Promise<PineconeStore> {
    return PineconeStore.from(await openIndex(options), options);
  }

  private static from(opened: OpenedIndex, options: PineconeConnection & PineconeTuning): PineconeStore {
    return new PineconeStore(opened.info, opened.index, options);
  }

  async count(): Promise<number> {
    return dataCount(this.index, this.options, this.options.indexName);
  }

  /**
   * Batches are cut by record count and by JSON size. A record that already exists keeps its seen fields
   * (an upsert replaces all metadata, so they are read first and carried over). Upsert by id is idempotent:
   * re-running an interrupted upsert resumes without duplicates.
   */
  async upsert(records: VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    records.forEach((r) => this.validate(r));
    const unique = [...new Map(records.map((r) => [r.id, r])).values()];
    const maxRecords = Math.min(this.options.maxBatchRecords ?? 500, 1000);
    const maxBytes = this.options.maxBatchBytes ?? 1_500_000;
    let batch: VectorRecord[] = [];
    let bytes = 0;
    for (const r of unique) {
      const size = 40 + r.id.length + JSON.stringify(toMetadata(r)).length + r.vector.length * 22 + 200;
      if (batch.length > 0 && (batch.length >= maxRecords || bytes + size > maxBytes)) {
        await this.upsertBatch(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(r);
      bytes += size;
    }
    if (batch.length > 0) await this.upsertBatch(batch);
  }

  private async upsertBatch(batch: VectorRecord[]): Promise<void> {
    const existing = await this.fetchRaw(batch.map((r) => r.id));
    const vectors = batch.map((r) => ({
      id: r.id,
      values: Array.from(r.vector),
      metadata: { ...seenFields(existing.get(r.id)?.metadata), ...toMetadata(r) },
    }));
    await this.call('upsert records', () => this.index.upsert({ records: vectors }));
  }

  async delete(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      if (chunk.length > 0) await this.call('delete records', () => this.index.deleteMany({ ids: chunk }));
    }
  }

  async query(w: Float32Array, options: QueryOptions): Promise<Candidate[]> {
    if (w.length !== this.info.dimension) {
      throw new VectorTuneError(`query vector has ${w.length} dimensions; the store holds ${this.info.dimension}.`);
    }
    if (options.k <= 0) return [];
    if (options.k > TOPK_MAX)
      throw new VectorTuneError(`Pinecone returns at most ${TOPK_MAX} results per query; ${options.k} were asked for.`);
    const filter = options.unseenBy === undefined ? undefined : unseenFilter(options.unseenBy);
    if (options.ranking.kind === 'top') return (await this.nearest(w, options.k, filter)).hits;
    return this.boundary(w, options.k, options.ranking, filter);
  }

  private async nearest(
    w: Float32Array,
    k: number,
    filter: object | undefined,
  ): Promise<{ hits: Candidate[]; complete: boolean }> {
    const res = await this.call('query', () =>
      this.index.query({
        vector: Array.from(w),
        topK: k,
        includeMetadata: true,
        includeValues: false,
        ...(filter ? { filter } : {}),
      }),
    );
    const hits = (res.matches ?? []).map((m) => ({
      id: m.id,
      path: fromMetadata(m.id, m.metadata).path,
      dot: m.score ?? 0,
    }));
    return { hits, complete: hits.length < k };
  }

  /**
   * Boundary ranking (smallest |w·x + b|) is a fetch-and-rerank, exact, never an approximation. Pinecone
   * ranks only by dot product, so the pool is the top `boundaryPool` records by `w·x` and the top
   * `boundaryPool` by `-w·x`: together they hold every record whose `w·x` lies outside the gap between the
   * two pools. The reranked top k is returned when the interval `[-b - r, -b + r]` (r = the k-th distance)
   * avoids that gap, which is provably the exact answer. Otherwise (the boundary sits in the unfetched
   * middle, typical for a large collection) every record is scanned: list + fetch, O(collection) reads.
   */
  private async boundary(
    w: Float32Array,
    k: number,
    ranking: Extract<Ranking, { kind: 'boundary' }>,
    filter: object | undefined,
  ): Promise<Candidate[]> {
    const pool = Math.max(k, Math.min(this.options.boundaryPool ?? 1000, TOPK_MAX));
    const c = -ranking.bias;
    const high = await this.nearest(w, pool, filter);
    const negated = await this.nearest(
      w.map((v) => -v),
      pool,
      filter,
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
    return this.boundaryScan(w, k, c, filter === undefined ? undefined : Object.keys(filter)[0]);
  }

  private async boundaryScan(w: Float32Array, k: number, c: number, seenKey: string | undefined): Promise<Candidate[]> {
    const all: Candidate[] = [];
    for await (const page of this.pages()) {
      for (const [id, rec] of await this.fetchRaw(page)) {
        if (seenKey !== undefined && rec.metadata?.[seenKey] === true) continue;
        const values = rec.values ?? [];
        let dot = 0;
        for (let i = 0; i < values.length; i++) dot += values[i] * w[i];
        all.push({ id, path: fromMetadata(id, rec.metadata).path, dot });
      }
    }
    return rankBoundary(all, c, k);
  }

  async fetch(ids: string[]): Promise<VectorRecord[]> {
    const raw = await this.fetchRaw(ids);
    const out: VectorRecord[] = [];
    for (const id of ids) {
      const r = raw.get(id);
      if (r) out.push({ ...fromMetadata(id, r.metadata), vector: Float32Array.from(r.values ?? []) });
    }
    return out;
  }

  private async fetchRaw(
    ids: string[],
  ): Promise<Map<string, { values?: number[]; metadata?: Record<string, unknown> }>> {
    const out = new Map<string, { values?: number[]; metadata?: Record<string, unknown> }>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += FETCH_CHUNK) {
      const chunk = unique.slice(i, i + FETCH_CHUNK);
      const res = await this.call('fetch records', () => this.index.fetch({ ids: chunk }));
      for (const [id, r] of Object.entries(res.records ?? {})) out.set(id, { values: r.values, metadata: r.metadata });
    }
    return out;
  }

  /** Unknown ids are ignored, as in the embedded store. */
  async markSeen(head: string, ids: string[]): Promise<void> {
    const key = seenField(head);
    await this.parallel([...new Set(ids)], (id) => this.setMetadata(id, { [key]: true }));
  }

  /** Pages through every id (more than one page for any real collection) and clears this head's field only. */
  async resetSeen(head: string): Promise<void> {
    const key = seenField(head);
    for await (const page of this.pages()) {
      const raw = await this.fetchRaw(page);
      const seen = page.filter((id) => raw.get(id)?.metadata?.[key] === true);
      await this.parallel(seen, (id) => this.setMetadata(id, { [key]: false }));
    }
  }

  async seenCount(head: string): Promise<number> {
    const key = seenField(head);
    let n = 0;
    for await (const page of this.pages()) {
      for (const r of (await this.fetchRaw(page)).values()) if (r.metadata?.[key] === true) n++;
    }
    return n;
  }

  async *ids(): AsyncIterable<string> {
    for await (const page of this.pages()) yield* page;
  }

  /** Pinecone's fetch always returns the values too: the cost is that of `fetch`. */
  async fetchMeta(ids: string[]): Promise<RecordMeta[]> {
    const raw = await this.fetchRaw(ids);
    return ids.filter((id) => raw.has(id)).map((id) => fromMetadata(id, raw.get(id)!.metadata));
  }

  async *idsStartingWith(prefix: string): AsyncIterable<string> {
    for await (const page of this.pages(prefix)) yield* page;
  }

  async close(): Promise<void> {}

  private async *pages(prefix = ''): AsyncIterable<string[]> {
    let paginationToken: string | undefined;
    const limit = Math.min(Math.max(this.options.listPageSize ?? 100, 1), 100);
    do {
      const token = paginationToken;
      const res = await this.call('list record ids', () =>
        this.index.listPaginated({
          limit,
          ...(prefix ? { prefix } : {}),
          ...(token ? { paginationToken: token } : {}),
        }),
      );
      const ids = (res.vectors ?? []).map((v) => v.id).filter((id): id is string => typeof id === 'string');
      if (ids.length > 0) yield ids;
      paginationToken = res.pagination?.next;
    } while (paginationToken);
  }

  private async setMetadata(id: string, metadata: PineconeMetadata): Promise<void> {
    try {
      await this.index.update({ id, metadata });
    } catch (err) {
      if ((err as Error)?.name === 'PineconeNotFoundError') return; // the record is gone: nothing to mark
      throw toVectorTuneError(err, 'update seen markers', this.options.indexName);
    }
  }

  private async parallel(items: string[], work: (id: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await work(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, items.length) }, worker));
  }

  private async call<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw toVectorTuneError(err, what, this.options.indexName);
    }
  }

  private validate(r: VectorRecord): void {
    if (typeof r.id !== 'string' || r.id === '') throw new VectorTuneError('a record has an empty id.');
    if (r.vector.length !== this.info.dimension) {
      throw new VectorTuneError(
        `record "${r.id}" has a ${r.vector.length}-d vector; the Pinecone index "${this.options.indexName}" holds ${this.info.dimension}-d vectors of ${this.info.modelId}.`,
      );
    }
    if (!allFinite(r.vector)) throw new VectorTuneError(`record "${r.id}" has a vector with NaN or infinite values.`);
  }
}

/** Smallest |dot - c| first; ties by higher dot, then id, so the order is deterministic. */
function rankBoundary(candidates: Candidate[], c: number, k: number): Candidate[] {
  return candidates
    .map((h) => ({ h, key: Math.abs(h.dot - c) }))
    .sort((a, b) => a.key - b.key || b.h.dot - a.h.dot || (a.h.id < b.h.id ? -1 : a.h.id > b.h.id ? 1 : 0))
    .slice(0, k)
    .map((x) => x.h);
}
