/**
 * A local stand-in for Pinecone's HTTP API, for tests: no Pinecone service or emulator can run here.
 *
 * One control-plane server (`controllerHostUrl`) and one data-plane server per index (each index has its own
 * host, as on Pinecone), all on 127.0.0.1 with random ports. Request and response JSON follow the shapes of
 * the SDK's generated OpenAPI client (`@pinecone-database/pinecone` 8.2.0, `pinecone-generated-ts-fetch/
 * db_control` and `db_data` models): control plane snake_case (`vector_type`, `deletion_protection`), data
 * plane camelCase (`topK`, `includeValues`, `setMetadata`, `totalVectorCount`). Errors use Pinecone's bodies:
 * control plane `{ error: { code, message }, status }`, data plane `{ code, message, details }`.
 *
 * Differences from the real service, on purpose or by ignorance:
 * - `host` in an index description includes the `http://` scheme (Pinecone returns a bare host name, which
 *   the SDK reads as https; this server speaks plain http).
 * - Writes are visible at once (Pinecone serverless is eventually consistent, seconds at most).
 * - Filters implement `$eq`, `$ne`, `$in` (and implicit equality, `$and`) with MongoDB semantics: `$ne`
 *   matches a record without the field. That is what the adapter relies on; it is not verified here
 *   against the real service.
 * - Query ties are broken by insertion order; list returns ids sorted bytewise, as documented.
 * - Update of an id that does not exist answers 200 and changes nothing.
 * - An all-zero dense vector is refused on upsert (400), as the service does for dense indexes.
 * - Namespaces are separate collections of records (upsert, query, fetch, list, update and delete take a
 *   `namespace`; describe_index_stats counts each), as documented; Vector Tune keeps its store record in
 *   one of its own (`__vector_tune__`).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

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

export type Fault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'drop' };

/** Which requests a fault is for: a path such as `/vectors/update` or `/query`, optionally a method. */
export interface FaultTarget {
  path: string;
  method?: string;
  /** Let this many matching requests through first (e.g. fail the third fetch of a submit). */
  after?: number;
}

export interface FakePinecone {
  controllerHostUrl: string;
  apiKey: string;
  indexes: Map<string, FakeIndex>;
  /** Every request seen (method, path without query, body), for assertions on what went on the wire. */
  requests: { method: string; path: string; body: unknown }[];
  /**
   * The next `times` requests (control or data plane) get this fault, in order after earlier queued faults.
   * With `where`, only requests of that path (and method) take it: e.g. only `/vectors/update` (markSeen).
   */
  inject(fault: Fault, times?: number, where?: FaultTarget): void;
  /** Drops every fault still queued. */
  clearFaults(): void;
  /** Creates an index directly (as if made earlier by someone else). */
  createIndex(name: string, dimension: number, metric?: string, tags?: Record<string, string>): Promise<FakeIndex>;
  close(): Promise<void>;
}

const LIST_DEFAULT_LIMIT = 100;
const FETCH_MAX_IDS = 1000;
const UPSERT_MAX_VECTORS = 1000;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const TOPK_MAX = 10000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakePinecone(options: { apiKey?: string } = {}): Promise<FakePinecone> {
  const apiKey = options.apiKey ?? 'test-key';
  const faults: { fault: Fault; where?: FaultTarget; wait: number }[] = [];
  /** The first queued fault meant for this request, taken off the queue; faults still waiting count it. */
  const takeFault = (method: string, path: string): Fault | undefined => {
    for (let i = 0; i < faults.length; i++) {
      const { where } = faults[i];
      if (where && (where.path !== path || (where.method && where.method !== method))) continue;
      if (faults[i].wait > 0) {
        faults[i].wait--;
        continue;
      }
      return faults.splice(i, 1)[0].fault;
    }
    return undefined;
  };
  const requests: FakePinecone['requests'] = [];
  const indexes = new Map<string, FakeIndex>();
  const sockets = new Set<import('node:net').Socket>();

  function track(server: http.Server): void {
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  }

  async function listen(handler: (req: http.IncomingMessage, body: unknown, url: URL) => unknown, plane: 'control' | 'data'): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        chunks.push(c);
      });
      req.on('end', async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          body = raw;
        }
        requests.push({ method: req.method ?? '', path: url.pathname, body });
        const fault = takeFault(req.method ?? '', url.pathname);
        if (fault?.kind === 'hang') return; // never answers; the socket is destroyed on close()
        if (fault?.kind === 'drop') {
          req.socket.destroy();
          return;
        }
        if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
        const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(payload === undefined ? '' : JSON.stringify(payload));
        };
        const sendError = (status: number, code: string, message: string, headers?: Record<string, string>) =>
          send(status, plane === 'control' ? { error: { code, message }, status } : { code: grpcCode(status), message, details: [] }, headers);
        if (fault?.kind === 'status') {
          const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
          return sendError(fault.status, statusCode(fault.status), `injected fault ${fault.status}`, headers);
        }
        if (req.headers['api-key'] !== apiKey) return sendError(401, 'UNAUTHENTICATED', 'Invalid API Key');
        if (size > MAX_BODY_BYTES) return sendError(413, 'OUT_OF_RANGE', `Request size ${size} exceeds the 2MB limit`);
        try {
          const [status, payload] = (await handler(req, body, url)) as [number, unknown];
          send(status, payload);
        } catch (err) {
          if (err instanceof HttpError) sendError(err.status, err.code, err.message);
          else sendError(500, 'INTERNAL', String(err));
        }
      });
    });
    track(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  function describe(index: FakeIndex) {
    return {
      name: index.name,
      dimension: index.dimension,
      metric: index.metric,
      host: index.host,
      deletion_protection: 'disabled',
      tags: index.tags,
      spec: index.spec,
      status: { ready: true, state: 'Ready' },
      vector_type: 'dense',
    };
  }

  async function createIndex(name: string, dimension: number, metric = 'cosine', tags?: Record<string, string>, spec: unknown = { serverless: { cloud: 'aws', region: 'us-east-1' } }): Promise<FakeIndex> {
    const index = { name, dimension, metric, tags, spec, namespaces: new Map() } as FakeIndex;
    index.server = await listen((req, body, url) => dataPlane(index, req, body, url), 'data');
    index.host = `http://127.0.0.1:${(index.server.address() as AddressInfo).port}`;
    indexes.set(name, index);
    return index;
  }

  async function controlPlane(req: http.IncomingMessage, body: unknown, url: URL): Promise<[number, unknown]> {
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'indexes') throw new HttpError(404, 'NOT_FOUND', `Not found: ${url.pathname}`);
    if (req.method === 'POST' && parts.length === 1) {
      const b = (body ?? {}) as { name?: string; dimension?: number; metric?: string; tags?: Record<string, string>; spec?: unknown };
      if (!b.name || !/^[a-z0-9-]{1,45}$/.test(b.name)) throw new HttpError(400, 'INVALID_ARGUMENT', 'Index name must be 1-45 lowercase alphanumeric characters or hyphens');
      if (!Number.isInteger(b.dimension) || b.dimension! < 1 || b.dimension! > 20000) throw new HttpError(400, 'INVALID_ARGUMENT', 'Dimension must be between 1 and 20000');
      if (!b.spec) throw new HttpError(400, 'INVALID_ARGUMENT', 'Missing spec');
      if (indexes.has(b.name)) throw new HttpError(409, 'ALREADY_EXISTS', `Resource ${b.name} already exists`);
      const index = await createIndex(b.name, b.dimension!, b.metric ?? 'cosine', b.tags, b.spec);
      return [201, { ...describe(index), status: { ready: true, state: 'Ready' } }];
    }
    const index = indexes.get(decodeURIComponent(parts[1] ?? ''));
    if (req.method === 'GET' && parts.length === 2) {
      if (!index) throw new HttpError(404, 'NOT_FOUND', `Resource ${parts[1]} not found`);
      return [200, describe(index)];
    }
    if (req.method === 'GET' && parts.length === 1) return [200, { indexes: [...indexes.values()].map(describe) }];
    throw new HttpError(404, 'NOT_FOUND', `Not found: ${req.method} ${url.pathname}`);
  }

  function dataPlane(index: FakeIndex, req: http.IncomingMessage, body: unknown, url: URL): [number, unknown] {
    const b = (body ?? {}) as Record<string, any>;
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
        if (!Array.isArray(vectors) || vectors.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'vectors must be a non-empty array');
        if (vectors.length > UPSERT_MAX_VECTORS) throw new HttpError(400, 'INVALID_ARGUMENT', `Upsert batch size exceeds ${UPSERT_MAX_VECTORS}`);
        for (const v of vectors) {
          if (typeof v.id !== 'string' || v.id === '') throw new HttpError(400, 'INVALID_ARGUMENT', 'Vector id must be a non-empty string');
          if (!Array.isArray(v.values) || v.values.length !== index.dimension) {
            throw new HttpError(400, 'INVALID_ARGUMENT', `Vector dimension ${v.values?.length} does not match the dimension of the index ${index.dimension}`);
          }
          if (v.values.every((x) => x === 0)) throw new HttpError(400, 'INVALID_ARGUMENT', 'Dense vectors must contain at least one non-zero value.');
          checkMetadata(v.metadata);
        }
        const m = ns(b.namespace);
        for (const v of vectors) m.set(v.id, { id: v.id, values: [...v.values], metadata: v.metadata ? { ...v.metadata } : undefined });
        return [200, { upsertedCount: vectors.length }];
      }
      case 'POST /query': {
        const topK = b.topK;
        if (!Number.isInteger(topK) || topK < 1 || topK > TOPK_MAX) throw new HttpError(400, 'INVALID_ARGUMENT', `topK must be between 1 and ${TOPK_MAX}`);
        if (!Array.isArray(b.vector) || b.vector.length !== index.dimension) {
          throw new HttpError(400, 'INVALID_ARGUMENT', `Query vector dimension ${b.vector?.length} does not match the dimension of the index ${index.dimension}`);
        }
        const q = b.vector as number[];
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
        if (b.values && (!Array.isArray(b.values) || b.values.length !== index.dimension)) throw new HttpError(400, 'INVALID_ARGUMENT', 'Vector dimension does not match');
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
        if (ids.length > FETCH_MAX_IDS) throw new HttpError(400, 'INVALID_ARGUMENT', `Cannot fetch more than ${FETCH_MAX_IDS} ids`);
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
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400, 'INVALID_ARGUMENT', 'limit must be between 1 and 100');
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
        return [200, { namespaces, dimension: index.dimension, indexFullness: 0, totalVectorCount: total, metric: index.metric, vectorType: 'dense' }];
      }
      default:
        throw new HttpError(404, 'NOT_FOUND', `Not found: ${route}`);
    }
  }

  const control = await listen(controlPlane, 'control');
  const controllerHostUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  return {
    controllerHostUrl,
    apiKey,
    indexes,
    requests,
    inject(fault, times = 1, where) {
      for (let i = 0; i < times; i++) faults.push({ fault, where, wait: where?.after ?? 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
    createIndex: (name, dimension, metric, tags) => createIndex(name, dimension, metric, tags),
    async close() {
      for (const s of sockets) s.destroy();
      const servers = [control, ...[...indexes.values()].map((i) => i.server)];
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
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
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new HttpError(400, 'INVALID_ARGUMENT', 'metadata must be an object');
  for (const [key, value] of Object.entries(metadata)) {
    const ok =
      typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (Array.isArray(value) && value.every((s) => typeof s === 'string'));
    if (!ok) throw new HttpError(400, 'INVALID_ARGUMENT', `Metadata value for field ${key} must be a string, number, boolean or list of strings`);
  }
  if (JSON.stringify(metadata).length > 40960) throw new HttpError(400, 'INVALID_ARGUMENT', 'Metadata size exceeds the limit of 40960 bytes per vector');
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
    const ops = cond !== null && typeof cond === 'object' && !Array.isArray(cond) ? (cond as Record<string, unknown>) : { $eq: cond };
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

function statusCode(status: number): string {
  return ({ 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' } as Record<number, string>)[status] ?? 'UNKNOWN';
}

function grpcCode(status: number): number {
  return ({ 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 503: 14 } as Record<number, number>)[status] ?? 2;
}
