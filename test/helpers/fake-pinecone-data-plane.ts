/**
 * The data plane of the local Pinecone stand-in (see fake-pinecone.ts): upsert, query (by vector or id) with
 * metadata filters, update by id or filter, fetch by ids or filter, list with pagination, delete by ids, filter or
 * all, describe_index_stats and the namespaces API, per namespace, with the service's limits and validation
 * errors. The writes are in fake-pinecone-writes.ts, the filters in fake-pinecone-filter.ts.
 */
import type * as http from 'node:http';
import { HttpError } from './fake-pinecone-errors';
import { matches, type MissingFieldReading } from './fake-pinecone-filter';
import { remove, update, upsert, type FakeRecord, type WriteBody } from './fake-pinecone-writes';

export { grpcCode, HttpError, statusCode } from './fake-pinecone-errors';
export type { FakeRecord } from './fake-pinecone-writes';

export interface FakeIndex {
  name: string;
  dimension: number;
  metric: string;
  tags?: Record<string, string>;
  spec: unknown;
  /** Insertion-ordered, per namespace. */
  namespaces: Map<string, Map<string, FakeRecord>>;
  /** How a comparison on a missing metadata field reads (see fake-pinecone-filter.ts). */
  missingFields: MissingFieldReading;
  server: http.Server;
  host: string;
}

const LIST_DEFAULT_LIMIT = 100;
const FETCH_MAX_IDS = 1000;
const FETCH_BY_METADATA_MAX = 10000;
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const TOPK_MAX = 10000;

/** The fields of the data plane's read requests, as the SDK sends them (writes: WriteBody). */
interface RequestBody extends WriteBody {
  topK?: number;
  vector?: number[];
  includeValues?: boolean;
  includeMetadata?: boolean;
  limit?: number;
  paginationToken?: string;
}

export function dataPlane(index: FakeIndex, req: http.IncomingMessage, body: unknown, url: URL): [number, unknown] {
  const b = (body ?? {}) as RequestBody;
  const reading = index.missingFields;
  // The default namespace is named "__default__" (the SDK sends that name); '' or no name means it too.
  const ns = (name: unknown) => {
    const key = typeof name === 'string' && name !== '' ? name : '__default__';
    let m = index.namespaces.get(key);
    if (!m) index.namespaces.set(key, (m = new Map()));
    return m;
  };
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'POST /vectors/upsert':
      return upsert(ns(b.namespace), b, index.dimension);
    case 'POST /vectors/update':
      return update(ns(b.namespace), b, index.dimension, reading);
    case 'POST /vectors/delete':
      return remove(ns(b.namespace), b, reading);
    case 'POST /query':
      return query(index, ns(b.namespace), b);
    case 'GET /vectors/fetch': {
      const ids = url.searchParams.getAll('ids');
      if (ids.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'ids must not be empty');
      if (ids.length > FETCH_MAX_IDS)
        throw new HttpError(400, 'INVALID_ARGUMENT', `Cannot fetch more than ${FETCH_MAX_IDS} ids`);
      const m = ns(url.searchParams.get('namespace'));
      const found = ids.map((id) => m.get(id)).filter((r): r is FakeRecord => r !== undefined);
      return [
        200,
        { vectors: asVectors(found), namespace: url.searchParams.get('namespace') ?? '', usage: { readUnits: 1 } },
      ];
    }
    case 'POST /vectors/fetch_by_metadata': {
      const limit = b.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > FETCH_BY_METADATA_MAX)
        throw new HttpError(400, 'INVALID_ARGUMENT', `limit must be between 1 and ${FETCH_BY_METADATA_MAX}`);
      const all = [...ns(b.namespace).values()].filter((r) => matches(r.metadata ?? {}, b.filter, reading));
      const { page, next } = paginate(all, (r) => r.id, limit, b.paginationToken ?? null);
      return [
        200,
        { vectors: asVectors(page), namespace: b.namespace ?? '', ...nextPage(next), usage: { readUnits: 1 } },
      ];
    }
    case 'GET /vectors/list': {
      const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : LIST_DEFAULT_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        throw new HttpError(400, 'INVALID_ARGUMENT', 'limit must be between 1 and 100');
      const prefix = url.searchParams.get('prefix') ?? '';
      const all = [...ns(url.searchParams.get('namespace')).keys()].filter((id) => id.startsWith(prefix));
      const { page, next } = paginate(all, (id) => id, limit, url.searchParams.get('paginationToken'));
      return [
        200,
        {
          vectors: page.map((id) => ({ id })),
          ...nextPage(next),
          namespace: url.searchParams.get('namespace') ?? '',
          usage: { readUnits: 1 },
        },
      ];
    }
    case 'POST /describe_index_stats': {
      const namespaces: Record<string, { vectorCount: number }> = {};
      let total = 0;
      for (const [name, m] of index.namespaces) {
        if (m.size === 0) continue;
        namespaces[name] = { vectorCount: m.size };
        total += m.size;
      }
      return [
        200,
        {
          namespaces,
          dimension: index.dimension,
          indexFullness: 0,
          totalVectorCount: total,
          metric: index.metric,
          vectorType: 'dense',
        },
      ];
    }
    case 'GET /namespaces': {
      const described = [...index.namespaces]
        .filter(([, m]) => m.size > 0)
        .map(([name, m]) => describeNamespace(name, m));
      return [200, { namespaces: described, totalCount: described.length }];
    }
    default:
      return namespaceRoute(index, req.method ?? '', url.pathname) ?? notFound(route);
  }
}

/** `GET` and `DELETE /namespaces/{namespace}`. */
function namespaceRoute(index: FakeIndex, method: string, pathname: string): [number, unknown] | null {
  const m = /^\/namespaces\/([^/]+)$/.exec(pathname);
  if (!m || (method !== 'GET' && method !== 'DELETE')) return null;
  const name = decodeURIComponent(m[1]);
  const records = index.namespaces.get(name);
  if (!records || records.size === 0) throw new HttpError(404, 'NOT_FOUND', `Namespace ${name} not found`);
  if (method === 'GET') return [200, describeNamespace(name, records)];
  index.namespaces.delete(name);
  return [202, {}];
}

function describeNamespace(name: string, records: Map<string, FakeRecord>) {
  return { name, recordCount: records.size };
}

function query(index: FakeIndex, records: Map<string, FakeRecord>, b: RequestBody): [number, unknown] {
  const topK = b.topK;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > TOPK_MAX)
    throw new HttpError(400, 'INVALID_ARGUMENT', `topK must be between 1 and ${TOPK_MAX}`);
  if ((b.vector === undefined) === (b.id === undefined))
    throw new HttpError(400, 'INVALID_ARGUMENT', 'Exactly one of vector or id must be provided');
  let q = b.vector;
  if (b.id !== undefined) {
    const r = records.get(b.id);
    if (!r) return [200, { matches: [], namespace: b.namespace ?? '', usage: { readUnits: 5 } }];
    q = r.values;
  }
  if (!Array.isArray(q) || q.length !== index.dimension) {
    throw new HttpError(
      400,
      'INVALID_ARGUMENT',
      `Query vector dimension ${q?.length} does not match the dimension of the index ${index.dimension}`,
    );
  }
  const best = new TopK(topK);
  let order = 0;
  for (const r of records.values()) {
    if (matches(r.metadata ?? {}, b.filter, index.missingFields))
      best.offer(r, score(index.metric, q, r.values), order);
    order++;
  }
  return [
    200,
    {
      matches: best.sorted().map(({ r, score }) => ({
        id: r.id,
        score,
        ...(b.includeValues ? { values: r.values } : { values: [] }),
        ...(b.includeMetadata && r.metadata ? { metadata: r.metadata } : {}),
      })),
      namespace: b.namespace ?? '',
      usage: { readUnits: 5 },
    },
  ];
}

interface Scored {
  r: FakeRecord;
  score: number;
  order: number;
}

/** The k best by score (ties: earlier insertion first), kept in a min-heap so a 1M-record query stays linear. */
class TopK {
  private readonly heap: Scored[] = [];
  constructor(private readonly k: number) {}

  offer(r: FakeRecord, score: number, order: number): void {
    const item = { r, score, order };
    if (this.heap.length < this.k) {
      this.heap.push(item);
      this.up(this.heap.length - 1);
    } else if (worse(this.heap[0], item)) {
      this.heap[0] = item;
      this.down(0);
    }
  }

  sorted(): Scored[] {
    return [...this.heap].sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(h[i], h[p])) return;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && worse(h[l], h[m])) m = l;
      if (r < h.length && worse(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

/** Whether `a` ranks below `b`. */
function worse(a: Scored, b: Scored): boolean {
  return a.score < b.score || (a.score === b.score && a.order > b.order);
}

/** Sorted bytewise by key, as Pinecone lists; the token is the last key of the page. */
function paginate<T>(items: T[], key: (t: T) => string, limit: number, token: string | null) {
  const sorted = [...items].sort((x, y) => bytewise(key(x), key(y)));
  const after = token === null ? null : Buffer.from(token, 'base64url').toString('utf8');
  const start = after === null ? 0 : sorted.findIndex((t) => bytewise(key(t), after) > 0);
  const page = start < 0 ? [] : sorted.slice(start, start + limit);
  const more = start >= 0 && start + limit < sorted.length;
  return { page, next: more ? Buffer.from(key(page[page.length - 1])).toString('base64url') : undefined };
}

/** UTF-8 byte order. For text without surrogate pairs it is UTF-16 order, which is much cheaper to compare. */
function bytewise(a: string, b: string): number {
  if (/[\ud800-\udfff]/.test(a + b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

function nextPage(next: string | undefined) {
  return next === undefined ? {} : { pagination: { next } };
}

function asVectors(records: FakeRecord[]): Record<string, unknown> {
  const vectors: Record<string, unknown> = {};
  for (const r of records)
    vectors[r.id] = { id: r.id, values: r.values, ...(r.metadata ? { metadata: r.metadata } : {}) };
  return vectors;
}

function score(metric: string, q: number[], v: number[]): number {
  let dot = 0;
  let qq = 0;
  let vv = 0;
  for (let i = 0; i < q.length; i++) {
    dot += q[i] * v[i];
    qq += q[i] * q[i];
    vv += v[i] * v[i];
  }
  if (metric === 'dotproduct') return dot;
  if (metric === 'cosine') return dot / (Math.sqrt(qq * vv) || 1);
  let d = 0;
  for (let i = 0; i < q.length; i++) d += (q[i] - v[i]) ** 2;
  return d; // euclidean: Pinecone returns the squared distance, smaller first; not used by the adapter
}

function notFound(route: string): never {
  throw new HttpError(404, 'NOT_FOUND', `Not found: ${route}`);
}
