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
 * - Filters implement Pinecone's documented operators under either reading of a comparison on a missing field
 *   (`missingFields`: MongoDB's, or "never matches"; see fake-pinecone-filter.ts): which one the service follows is
 *   not known here, so the adapter is tested under both.
 * - Counts every request and its bytes (request body or query string in, response body out) per endpoint
 *   (`traffic`), so tests and benchmarks measure what a round costs instead of assuming it.
 * - Query ties are broken by insertion order; list returns ids sorted bytewise, as documented.
 * - Update of an id that does not exist answers 200 and changes nothing.
 * - An all-zero dense vector is refused on upsert (400), as the service does for dense indexes.
 * - Namespaces are separate collections of records (upsert, query, fetch, list, update and delete take a
 *   `namespace`; describe_index_stats counts each), as documented; Vector Tune keeps its store record in
 *   one of its own (`__vector_tune__`).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dataPlane, type FakeIndex, type FakeRecord, MAX_BODY_BYTES } from './fake-pinecone-data-plane';
import { grpcCode, HttpError, statusCode } from './fake-pinecone-errors';
import type { MissingFieldReading } from './fake-pinecone-filter';
import { Traffic } from './fake-pinecone-traffic';

export type { FakeIndex, FakeRecord, MissingFieldReading };
export type { EndpointTraffic } from './fake-pinecone-traffic';

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
  /**
   * Every request seen (method, path without query, body), for assertions on what went on the wire; bodies are
   * left out (undefined) when the server was started with `keepBodies: false` (a benchmark's million records).
   */
  requests: { method: string; path: string; body: unknown }[];
  /** Requests and bytes per endpoint (`POST /query`, `GET /vectors/fetch`, ...) since the last `traffic.reset()`. */
  traffic: Traffic;
  /** How every index of this server reads a comparison on a missing metadata field (settable). */
  missingFields: MissingFieldReading;
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

export interface FakePineconeOptions {
  apiKey?: string;
  /** Default `strict`: a comparison on a missing field never matches (the reading that breaks more code). */
  missingFields?: MissingFieldReading;
  /** Keep request bodies in `requests` (default true). */
  keepBodies?: boolean;
}

export async function startFakePinecone(options: FakePineconeOptions = {}): Promise<FakePinecone> {
  const apiKey = options.apiKey ?? 'test-key';
  const traffic = new Traffic();
  let missingFields: MissingFieldReading = options.missingFields ?? 'strict';
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

  async function listen(
    handler: (req: http.IncomingMessage, body: unknown, url: URL) => unknown,
    plane: 'control' | 'data',
  ): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        chunks.push(c);
      });
      const answer = async (): Promise<void> => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          body = raw;
        }
        requests.push({
          method: req.method ?? '',
          path: url.pathname,
          body: options.keepBodies === false ? undefined : body,
        });
        const endpoint = traffic.request(req.method ?? '', url, size);
        const fault = takeFault(req.method ?? '', url.pathname);
        if (fault?.kind === 'hang') return; // never answers; the socket is destroyed on close()
        if (fault?.kind === 'drop') {
          req.socket.destroy();
          return;
        }
        if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
        const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
          const text = payload === undefined ? '' : JSON.stringify(payload);
          endpoint.bytesOut += Buffer.byteLength(text);
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(text);
        };
        const sendError = (status: number, code: string, message: string, headers?: Record<string, string>) =>
          send(
            status,
            plane === 'control'
              ? { error: { code, message }, status }
              : { code: grpcCode(status), message, details: [] },
            headers,
          );
        if (fault?.kind === 'status') {
          const headers: Record<string, string> =
            fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
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
      };
      req.on('end', () => void answer());
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

  async function createIndex(
    name: string,
    dimension: number,
    metric = 'cosine',
    tags?: Record<string, string>,
    spec: unknown = { serverless: { cloud: 'aws', region: 'us-east-1' } },
  ): Promise<FakeIndex> {
    const index = { name, dimension, metric, tags, spec, namespaces: new Map(), missingFields } as FakeIndex;
    index.server = await listen((req, body, url) => dataPlane(index, req, body, url), 'data');
    index.host = `http://127.0.0.1:${(index.server.address() as AddressInfo).port}`;
    indexes.set(name, index);
    return index;
  }

  async function controlPlane(req: http.IncomingMessage, body: unknown, url: URL): Promise<[number, unknown]> {
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'indexes') throw new HttpError(404, 'NOT_FOUND', `Not found: ${url.pathname}`);
    if (req.method === 'POST' && parts.length === 1) {
      const b = (body ?? {}) as {
        name?: string;
        dimension?: number;
        metric?: string;
        tags?: Record<string, string>;
        spec?: unknown;
      };
      if (!b.name || !/^[a-z0-9-]{1,45}$/.test(b.name))
        throw new HttpError(
          400,
          'INVALID_ARGUMENT',
          'Index name must be 1-45 lowercase alphanumeric characters or hyphens',
        );
      if (!Number.isInteger(b.dimension) || b.dimension! < 1 || b.dimension! > 20000)
        throw new HttpError(400, 'INVALID_ARGUMENT', 'Dimension must be between 1 and 20000');
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
    if (req.method === 'DELETE' && parts.length === 2) {
      if (!index) throw new HttpError(404, 'NOT_FOUND', `Resource ${parts[1]} not found`);
      indexes.delete(index.name);
      await new Promise<void>((resolve) => index.server.close(() => resolve()));
      return [202, undefined];
    }
    throw new HttpError(404, 'NOT_FOUND', `Not found: ${req.method} ${url.pathname}`);
  }

  const control = await listen(controlPlane, 'control');
  const controllerHostUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  return {
    controllerHostUrl,
    apiKey,
    indexes,
    requests,
    traffic,
    get missingFields() {
      return missingFields;
    },
    set missingFields(reading: MissingFieldReading) {
      missingFields = reading;
      for (const index of indexes.values()) index.missingFields = reading;
    },
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
