import type { Index } from '@pinecone-database/pinecone';
import { VectorTuneError } from '../../errors';
import { allFinite } from '../../vector';
import type { Candidate, QueryOptions, Ranking, RecordMeta, StoreInfo, VectorRecord, VectorStore } from '../types';
import type { PineconeConnection } from './connection';
import { toVectorTuneError } from './errors';
import { rankByBoundary } from './boundary';
import { PineconeMarkers } from './markers';
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
 * metadata `path`, `hash`, `size`, `mtimeMs` and one `seen_<marker>` boolean per head, always set (metadata.ts,
 * markers.ts). The store's model, dimension and centring mean are in a reserved record outside the data
 * (store-record.ts). Counts and listings follow Pinecone's consistency: writes become visible within seconds.
 */
export class PineconeStore implements VectorStore {
  readonly maxQueryK = TOPK_MAX;
  readonly scope: string;
  private readonly markers: PineconeMarkers;

  private constructor(
    readonly info: StoreInfo,
    private readonly index: Index,
    private readonly options: PineconeConnection & PineconeTuning,
    createdAt: string,
  ) {
    const namespace = options.namespace || '__default__';
    this.scope = `pinecone:${options.indexName}/${namespace}@${createdAt}`;
    this.markers = new PineconeMarkers(index, options.namespace, options.indexName, info.dimension);
  }

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
    return new PineconeStore(opened.info, opened.index, options, opened.createdAt);
  }

  async count(): Promise<number> {
    return dataCount(this.index, this.options, this.options.indexName);
  }

  /**
   * Batches are cut by record count and by JSON size. A record that already exists keeps its seen fields
   * (an upsert replaces all metadata, so they are read first and carried over); a new one gets `false` for every
   * registered marker (markers.ts). Upsert by id is idempotent: re-running an interrupted upsert resumes without
   * duplicates.
   */
  async upsert(records: VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    records.forEach((r) => this.validate(r));
    const unseen = await this.markers.defaults();
    const unique = [...new Map(records.map((r) => [r.id, r])).values()];
    const maxRecords = Math.min(this.options.maxBatchRecords ?? 500, 1000);
    const maxBytes = this.options.maxBatchBytes ?? 1_500_000;
    let batch: VectorRecord[] = [];
    let bytes = 0;
    for (const r of unique) {
      const size = 40 + r.id.length + JSON.stringify(toMetadata(r)).length + r.vector.length * 22 + 200;
      if (batch.length > 0 && (batch.length >= maxRecords || bytes + size > maxBytes)) {
        await this.upsertBatch(batch, unseen);
        batch = [];
        bytes = 0;
      }
      batch.push(r);
      bytes += size;
    }
    if (batch.length > 0) await this.upsertBatch(batch, unseen);
    await this.markers.fillNewlyRegistered();
  }

  private async upsertBatch(batch: VectorRecord[], unseen: PineconeMetadata): Promise<void> {
    const existing = await this.fetchRaw(batch.map((r) => r.id));
    const vectors = batch.map((r) => ({
      id: r.id,
      values: Array.from(r.vector),
      metadata: { ...unseen, ...seenFields(existing.get(r.id)?.metadata), ...toMetadata(r) },
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

  private async boundary(
    w: Float32Array,
    k: number,
    ranking: Extract<Ranking, { kind: 'boundary' }>,
    filter: object | undefined,
  ): Promise<Candidate[]> {
    return rankByBoundary(
      {
        nearest: (v, n) => this.nearest(v, n, filter),
        scan: () => this.scanUnseen(w, filter === undefined ? undefined : Object.keys(filter)[0]),
      },
      w,
      k,
      -ranking.bias,
      Math.max(k, Math.min(this.options.boundaryPool ?? 1000, TOPK_MAX)),
    );
  }

  /** Every record's `w·x` (unseen ones only, with a seen field): list + fetch, a pass over the collection. */
  private async scanUnseen(w: Float32Array, seenKey: string | undefined): Promise<Candidate[]> {
    const all: Candidate[] = [];
    for await (const page of this.pages()) {
      for (const [id, rec] of await this.fetchRaw(page)) {
        // The same test as the query's filter (`$eq: false`), so both paths agree on what is unseen.
        if (seenKey !== undefined && rec.metadata?.[seenKey] !== false) continue;
        const values = rec.values ?? [];
        let dot = 0;
        for (let i = 0; i < values.length; i++) dot += values[i] * w[i];
        all.push({ id, path: fromMetadata(id, rec.metadata).path, dot });
      }
    }
    return all;
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

  /** `false` again by id, as `prepare` writes it: the records match "unseen" once more. */
  async unmarkSeen(head: string, ids: string[]): Promise<void> {
    const key = seenField(head);
    await this.parallel([...new Set(ids)], (id) => this.setMetadata(id, { [key]: false }));
  }

  async prepareMarker(head: string): Promise<void> {
    await this.markers.prepare(head);
  }

  /** Two updates by filter (markers.ts): the collection is not read. */
  async resetSeen(head: string): Promise<void> {
    await this.markers.reset(head);
  }

  /**
   * One query for the records marked seen (ids only): exact up to Pinecone's 10,000 results per query, and 10,000
   * beyond. A head's own count comes from what it marked (seen-markers.ts); this answers for the store as a whole.
   */
  async seenCount(head: string): Promise<number> {
    const probe = new Float32Array(this.info.dimension);
    probe[0] = 1;
    const res = await this.call('count seen records', () =>
      this.index.query({
        vector: Array.from(probe),
        topK: TOPK_MAX,
        includeMetadata: false,
        includeValues: false,
        filter: { [seenField(head)]: { $eq: true } },
      }),
    );
    return res.matches?.length ?? 0;
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
