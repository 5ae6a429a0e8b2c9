/**
 * The data plane of the local Pinecone stand-in (see fake-pinecone.ts): upsert, query with metadata
 * filters, update with setMetadata, fetch, list with pagination, delete and describe_index_stats, per
 * namespace, with the service's limits and validation errors. Kept apart from the servers and fault
 * injection so each file reads on its own.
 */
import type * as http from 'node:http';

/** A record as the stand-in holds it. */
export interface FakeRecord {
  id: string;
  values: number[];
  metadata?: Record<string, unknown>;
}

export interface FakeIndex {
  name: string;
  dimension: number;
  metric: string;
  tags?: Record<string, string>;
  spec: unknown;
  /** Insertion-ordered, per namespace. */
  namespaces: Map<string, Map<string, FakeRecord>>;
  server: http.Server;
  host: string;
}

const LIST_DEFAULT_LIMIT = 100;
const FETCH_MAX_IDS = 1000;
const UPSERT_MAX_VECTORS = 1000;
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const TOPK_MAX = 10000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The fields of the data plane's JSON request bodies, typed as the Pinecone SDK sends them. A client may send
 * anything, so each route below checks the fields it uses before relying on them, as Pinecone does.
 */
interface RequestBody {
  namespace?: string;
  /** upsert */
  vectors?: FakeRecord[];
  /** query */
  topK?: number;
  vector?: number[];
  filter?: unknown;
  includeValues?: boolean;
  includeMetadata?: boolean;
  /** update */
  id?: string;
  values?: number[];
  setMetadata?: Record<string, unknown>;
  /** delete */
  ids?: string[];
  deleteAll?: boolean;
}

export function dataPlane(index: FakeIndex, req: http.IncomingMessage, body: unknown, url: URL): [number, unknown] {
  const b = (body ?? {}) as RequestBody;
  const ns = (name: unknown) => {
    // The default namespace is named "__default__" (the SDK sends that name); '' or no name means it too.
    const key = typeof name === 'string' && name !== '' ? name : '__default__';
    let m = index.namespaces.get(key);
    if (!m) index.namespaces.set(key, (m = new Map()));
    return m;
  };
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'POST /vectors/upsert': {
      const vectors = b.vectors as FakeRecord[];
      if (!Array.isArray(vectors) || vectors.length === 0)
        throw new HttpError(400, 'INVALID_ARGUMENT', 'vectors must be a non-empty array');
      if (vectors.length > UPSERT_MAX_VECTORS)
        throw new HttpError(400, 'INVALID_ARGUMENT', `Upsert batch size exceeds ${UPSERT_MAX_VECTORS}`);
      for (const v of vectors) {
        if (typeof v.id !== 'string' || v.id === '')
          throw new HttpError(400, 'INVALID_ARGUMENT', 'Vector id must be a non-empty string');
        if (!Array.isArray(v.values) || v.values.length !== index.dimension) {
          throw new HttpError(
            400,
            'INVALID_ARGUMENT',
            `Vector dimension ${v.values?.length} does not match the dimension of the index ${index.dimension}`,
          );
        }
        if (v.values.every((x) => x === 0))
          throw new HttpError(400, 'INVALID_ARGUMENT', 'Dense vectors must contain at least one non-zero value.');
        checkMetadata(v.metadata);
      }
      const m = ns(b.namespace);
      for (const v of vectors)
        m.set(v.id, { id: v.id, values: [...v.values], metadata: v.metadata ? { ...v.metadata } : undefined });
      return [200, { upsertedCount: vectors.length }];
    }
    case 'POST /query': {
      const topK = b.topK;
      if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > TOPK_MAX)
        throw new HttpError(400, 'INVALID_ARGUMENT', `topK must be between 1 and ${TOPK_MAX}`);
      if (!Array.isArray(b.vector) || b.vector.length !== index.dimension) {
        throw new HttpError(
          400,
          'INVALID_ARGUMENT',
          `Query vector dimension ${b.vector?.length} does not match the dimension of the index ${index.dimension}`,
        );
      }
      const q = b.vector;
      const scored = [...ns(b.namespace).values()]
        .filter((r) => matches(r.metadata ?? {}, b.filter))
        .map((r, order) => ({ r, order, score: score(index.metric, q, r.values) }))
        .sort((x, y) => y.score - x.score || x.order - y.order)
        .slice(0, topK);
      return [
        200,
        {
          matches: scored.map(({ r, score }) => ({
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
    case 'POST /vectors/update': {
      if (typeof b.id !== 'string') throw new HttpError(400, 'INVALID_ARGUMENT', 'update by id requires an id');
      if (b.values && (!Array.isArray(b.values) || b.values.length !== index.dimension))
        throw new HttpError(400, 'INVALID_ARGUMENT', 'Vector dimension does not match');
      checkMetadata(b.setMetadata);
      const r = ns(b.namespace).get(b.id);
      if (r) {
        if (b.values) r.values = [...b.values];
        if (b.setMetadata) r.metadata = { ...(r.metadata ?? {}), ...b.setMetadata };
      }
      return [200, {}];
    }
    case 'GET /vectors/fetch': {
      const ids = url.searchParams.getAll('ids');
      if (ids.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'ids must not be empty');
      if (ids.length > FETCH_MAX_IDS)
        throw new HttpError(400, 'INVALID_ARGUMENT', `Cannot fetch more than ${FETCH_MAX_IDS} ids`);
      const m = ns(url.searchParams.get('namespace'));
      const vectors: Record<string, unknown> = {};
      for (const id of ids) {
        const r = m.get(id);
        if (r) vectors[id] = { id: r.id, values: r.values, ...(r.metadata ? { metadata: r.metadata } : {}) };
      }
      return [200, { vectors, namespace: url.searchParams.get('namespace') ?? '', usage: { readUnits: 1 } }];
    }
    case 'GET /vectors/list': {
      const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : LIST_DEFAULT_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        throw new HttpError(400, 'INVALID_ARGUMENT', 'limit must be between 1 and 100');
      const prefix = url.searchParams.get('prefix') ?? '';
      const token = url.searchParams.get('paginationToken');
      const after = token === null ? null : Buffer.from(token, 'base64url').toString('utf8');
      const all = [...ns(url.searchParams.get('namespace')).keys()]
        .filter((id) => id.startsWith(prefix))
        .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const start = after === null ? 0 : all.findIndex((id) => Buffer.compare(Buffer.from(id), Buffer.from(after)) > 0);
      const page = start < 0 ? [] : all.slice(start, start + limit);
      const more = start >= 0 && start + limit < all.length;
      return [
        200,
        {
          vectors: page.map((id) => ({ id })),
          ...(more ? { pagination: { next: Buffer.from(page[page.length - 1]).toString('base64url') } } : {}),
          namespace: url.searchParams.get('namespace') ?? '',
          usage: { readUnits: 1 },
        },
      ];
    }
    case 'POST /vectors/delete': {
      const m = ns(b.namespace);
      if (b.deleteAll) m.clear();
      else if (Array.isArray(b.ids)) for (const id of b.ids) m.delete(id);
      else throw new HttpError(400, 'INVALID_ARGUMENT', 'ids or deleteAll is required');
      return [200, {}];
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
    default:
      throw new HttpError(404, 'NOT_FOUND', `Not found: ${route}`);
  }
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

function checkMetadata(metadata: unknown): void {
  if (metadata === undefined) return;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new HttpError(400, 'INVALID_ARGUMENT', 'metadata must be an object');
  for (const [key, value] of Object.entries(metadata)) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (Array.isArray(value) && value.every((s) => typeof s === 'string'));
    if (!ok)
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        `Metadata value for field ${key} must be a string, number, boolean or list of strings`,
      );
  }
  if (JSON.stringify(metadata).length > 40960)
    throw new HttpError(400, 'INVALID_ARGUMENT', 'Metadata size exceeds the limit of 40960 bytes per vector');
}

function matches(metadata: Record<string, unknown>, filter: unknown): boolean {
  if (filter === undefined || filter === null) return true;
  if (typeof filter !== 'object') throw new HttpError(400, 'INVALID_ARGUMENT', 'filter must be an object');
  for (const [key, cond] of Object.entries(filter as Record<string, unknown>)) {
    if (key === '$and') {
      if (!(cond as unknown[]).every((f) => matches(metadata, f))) return false;
      continue;
    }
    if (key === '$or') {
      if (!(cond as unknown[]).some((f) => matches(metadata, f))) return false;
      continue;
    }
    if (key.startsWith('$')) throw new HttpError(400, 'INVALID_ARGUMENT', `unsupported operator ${key}`);
    const value = metadata[key];
    const ops =
      cond !== null && typeof cond === 'object' && !Array.isArray(cond)
        ? (cond as Record<string, unknown>)
        : { $eq: cond };
    for (const [op, arg] of Object.entries(ops)) {
      const eq = (a: unknown) => (Array.isArray(value) ? value.includes(a) : value === a);
      let ok: boolean;
      if (op === '$eq') ok = eq(arg);
      else if (op === '$ne') ok = !eq(arg);
      else if (op === '$in') ok = Array.isArray(arg) && arg.some(eq);
      else if (op === '$nin') ok = Array.isArray(arg) && !arg.some(eq);
      else throw new HttpError(400, 'INVALID_ARGUMENT', `unsupported operator ${op}`);
      if (!ok) return false;
    }
  }
  return true;
}

export function statusCode(status: number): string {
  return (
    (
      {
        400: 'INVALID_ARGUMENT',
        401: 'UNAUTHENTICATED',
        403: 'FORBIDDEN',
        404: 'NOT_FOUND',
        429: 'RESOURCE_EXHAUSTED',
        500: 'INTERNAL',
        503: 'UNAVAILABLE',
      } as Record<number, string>
    )[status] ?? 'UNKNOWN'
  );
}

export function grpcCode(status: number): number {
  return ({ 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 503: 14 } as Record<number, number>)[status] ?? 2;
}
