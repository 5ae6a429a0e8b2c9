import { strict as assert } from 'node:assert';
import { after, before, beforeEach, test } from 'node:test';
import { VectorTuneError } from '../../src/core/errors';
import { PineconeStore, type PineconeStoreOptions } from '../../src/core/store/pinecone/pinecone-store';
import { STORE_RECORD_VERSION } from '../../src/core/store/pinecone/store-record';
import type { VectorRecord } from '../../src/core/store/types';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { randomUnitVectors } from '../helpers/vectors';

/** The Pinecone adapter's own behaviour against the local fake: faults, refusals, what goes on the wire. */
const D = 16;
const KEY = 'pc-secret-key-123';
let fake: FakePinecone;
let serial = 0;

before(async () => {
  fake = await startFakePinecone({ apiKey: KEY });
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

function options(extra: Partial<PineconeStoreOptions> = {}): PineconeStoreOptions {
  return {
    apiKey: KEY,
    controllerHostUrl: fake.controllerHostUrl,
    indexName: `idx-${++serial}`,
    modelId: 'Xenova/clip-vit-base-patch32',
    dimension: D,
    timeoutMs: 2000,
    maxRetries: 3,
    baseDelayMs: 10,
    ...extra,
  };
}

function records(n: number, seed = 1): VectorRecord[] {
  const data = randomUnitVectors(n, D, seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    path: `img/r${i}.jpg`,
    hash: `h${i}`,
    vector: data.slice(i * D, (i + 1) * D),
  }));
}

function isClear(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(
      err instanceof VectorTuneError,
      `a VectorTuneError, got ${(err as Error)?.name}: ${(err as Error)?.message}`,
    );
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes(KEY), 'the API key is never in a message');
    return true;
  };
}

test('creates a serverless dotproduct index of the model dimension, tagged with the model', async () => {
  const o = options({ cloud: 'gcp', region: 'europe-west4' });
  await PineconeStore.connect(o);
  const index = fake.indexes.get(o.indexName)!;
  assert.equal(index.metric, 'dotproduct');
  assert.equal(index.dimension, D);
  assert.deepEqual(index.spec, { serverless: { cloud: 'gcp', region: 'europe-west4' } });
  assert.deepEqual(index.tags, { vector_tune_model: 'Xenova_clip-vit-base-patch32' });
  // Connecting again reuses it.
  await PineconeStore.connect({ ...o });
  assert.equal(fake.requests.filter((r) => r.method === 'POST' && r.path === '/indexes').length, 1);
});

test('an existing index of another dimension, metric or model is refused clearly', async () => {
  await fake.createIndex('old-dim', 8, 'dotproduct');
  await assert.rejects(
    PineconeStore.connect(options({ indexName: 'old-dim' })),
    isClear(/"old-dim" holds 8-d vectors \(this model makes 16-d\)/),
  );
  await fake.createIndex('old-metric', D, 'cosine');
  await assert.rejects(PineconeStore.connect(options({ indexName: 'old-metric' })), isClear(/"cosine" metric/));
  await fake.createIndex('old-model', D, 'dotproduct', { vector_tune_model: 'other-model' });
  await assert.rejects(
    PineconeStore.connect(options({ indexName: 'old-model' })),
    isClear(/embeddings of "other-model"/),
  );
});

test('no such index (create turned off) is a clear 404 error', async () => {
  await assert.rejects(
    PineconeStore.connect(options({ indexName: 'nowhere', create: false })),
    isClear(/no index named "nowhere".*404/),
  );
});

test('a bad key (401) and a forbidden key (403) give a clear error, not retried', async () => {
  await assert.rejects(
    PineconeStore.connect(options({ apiKey: 'wrong' })),
    isClear(/refused the API key \(HTTP 401\)/),
  );
  assert.equal(fake.requests.length, 1);
  const store = await PineconeStore.connect(options());
  fake.inject({ kind: 'status', status: 403 });
  await assert.rejects(store.count(), isClear(/refused the API key \(HTTP 403\)/));
});

test('429 and 500 are retried with backoff, then succeed', async () => {
  const store = await PineconeStore.connect(options());
  fake.requests.length = 0;
  fake.inject({ kind: 'status', status: 429 }, 2, { path: '/vectors/fetch' });
  await store.upsert(records(10));
  assert.equal(fake.requests.filter((r) => r.path === '/vectors/fetch').length, 3, 'the 429s were retried');
  fake.inject({ kind: 'status', status: 500 });
  fake.inject({ kind: 'status', status: 503 });
  assert.equal(await store.count(), 10);
  fake.inject({ kind: 'drop' });
  assert.equal((await store.fetch(['r1'])).length, 1, 'a dropped connection is retried');
  fake.inject({ kind: 'delay', ms: 100 });
  assert.equal(await store.count(), 10, 'a slow answer within the timeout is fine');
});

test('retries are bounded: a persistent 429 or 500 ends in a clear error', async () => {
  const store = await PineconeStore.connect(options({ maxRetries: 2 }));
  fake.inject({ kind: 'status', status: 429 }, 3);
  await assert.rejects(store.count(), isClear(/rate-limiting.*429 after 3 attempts/));
  fake.inject({ kind: 'status', status: 500 }, 3);
  await assert.rejects(
    store.query(new Float32Array(D), { k: 1, ranking: { kind: 'top' } }),
    isClear(/HTTP 500 after 3 attempts/),
  );
});

test('a host that never answers times out, bounded', async () => {
  const store = await PineconeStore.connect(options({ timeoutMs: 300, maxRetries: 1 }));
  fake.inject({ kind: 'hang' }, 2);
  const start = Date.now();
  await assert.rejects(store.count(), isClear(/did not answer within 0.3 s/));
  assert.ok(Date.now() - start < 2000, `took ${Date.now() - start} ms`);
});

test('upserts go in size-limited batches and keep seen markers; unseen queries filter on the head field', async () => {
  const store = await PineconeStore.connect(options({ maxBatchRecords: 30, maxBatchBytes: 10_000 }));
  await store.prepareMarker('h');
  fake.requests.length = 0;
  await store.upsert(records(100));
  const upserts = fake.requests
    .filter((r) => r.path === '/vectors/upsert')
    .map((r) => (r.body as { vectors: unknown[] }).vectors);
  assert.ok(
    upserts.length >= 4 && upserts.every((v) => v.length <= 30),
    `batches: ${upserts.map((v) => v.length).join(',')}`,
  );
  assert.ok(
    fake.requests.filter((r) => r.path === '/vectors/upsert').every((r) => JSON.stringify(r.body).length <= 10_000),
  );
  assert.equal(upserts.flat().length, 100);
  await store.markSeen('h', ['r1']);
  await store.query(new Float32Array(D).fill(0.25), { k: 3, ranking: { kind: 'top' }, unseenBy: 'h' });
  const query = fake.requests.find((r) => r.path === '/query')!.body as Record<string, unknown>;
  assert.deepEqual(query.filter, { seen_h: { $eq: false } }, 'an $eq on a field every record has');
  assert.equal(query.topK, 3);
  const stored = fake.indexes.get(`idx-${serial}`)!.namespaces.get('__default__')!.get('r1')!;
  assert.deepEqual(stored.metadata, { seen_h: true, path: 'img/r1.jpg', hash: 'h1' });
});

test('boundary: the two-ended pool answers without a scan when it provably covers the answer, else scans', async () => {
  const all = records(200, 5);
  const store = await PineconeStore.connect(options({ boundaryPool: 150 }));
  await store.upsert(all);
  fake.requests.length = 0;
  const w = randomUnitVectors(1, D, 6);
  await store.query(w, { k: 5, ranking: { kind: 'boundary', bias: 0 } });
  assert.equal(
    fake.requests.filter((r) => r.path === '/vectors/list').length,
    0,
    'pools of 150 from both ends cover 200 records',
  );
  const small = await PineconeStore.connect(options({ indexName: `idx-${serial}`, boundaryPool: 10 }));
  fake.requests.length = 0;
  await small.query(w, { k: 5, ranking: { kind: 'boundary', bias: 0 } });
  assert.ok(
    fake.requests.filter((r) => r.path === '/vectors/list').length > 0,
    'a boundary in the unfetched middle falls back to a scan',
  );
  fake.requests.length = 0;
  await small.query(w, { k: 3, ranking: { kind: 'boundary', bias: -5 } });
  assert.equal(
    fake.requests.filter((r) => r.path === '/vectors/list').length,
    0,
    'a boundary beyond every w·x is answered from the pool',
  );
});

test('the store record keeps model, dimension and centring mean beside the data, never in it', async () => {
  const mean = randomUnitVectors(1, D, 42).map((v) => v * 0.3);
  const o = options({ centringMean: mean });
  const store = await PineconeStore.connect(o);
  assert.deepEqual(Array.from(store.info.centringMean!), Array.from(mean));
  const index = fake.indexes.get(o.indexName)!;
  const record = index.namespaces.get('__vector_tune__')!.get('store:__default__')!;
  assert.deepEqual(record.values, Array.from(mean), 'the mean travels as the record values, float32 exact');
  assert.deepEqual(
    { ...record.metadata, createdAt: undefined },
    {
      format: 'vector-tune-store',
      version: 1,
      modelId: 'Xenova/clip-vit-base-patch32',
      dimension: D,
      centred: true,
      namespace: '__default__',
      createdAt: undefined,
    },
  );
  await store.upsert(records(5));
  assert.equal(await store.count(), 5, 'the store record is not counted');
  const all = await store.query(mean, { k: 100, ranking: { kind: 'top' } });
  assert.deepEqual(all.map((c) => c.id).sort(), ['r0', 'r1', 'r2', 'r3', 'r4'], 'nor returned by a query');
  const listed: string[] = [];
  for await (const id of store.ids()) listed.push(id);
  assert.equal(listed.length, 5, 'nor listed');

  // Every client reads the same mean: one that does not know it (the worker, a teammate) gets it.
  const { apiKey, controllerHostUrl, indexName } = o;
  const opened = await PineconeStore.open({ apiKey, controllerHostUrl, indexName, timeoutMs: 2000, baseDelayMs: 10 });
  assert.deepEqual(opened.info, store.info);
  const joined = await PineconeStore.connect({ ...o, centringMean: undefined });
  assert.deepEqual(Array.from(joined.info.centringMean!), Array.from(mean));
  // Vectors preprocessed another way are refused.
  await assert.rejects(
    PineconeStore.connect({ ...o, centringMean: null }),
    isClear(/centred by another mean.*not centred.*cannot be mixed/),
  );
  await assert.rejects(
    PineconeStore.connect({ ...o, centringMean: mean.map((v) => v + 0.01) }),
    isClear(/centred by another mean/),
  );
  await assert.rejects(
    PineconeStore.connect({ ...o, modelId: 'other/model', centringMean: undefined }),
    isClear(/embeddings of "Xenova_clip-vit-base-patch32"/),
  );
});

test('an uncentred store records that it is not centred; open() needs a store record and an index', async () => {
  const o = options();
  await PineconeStore.connect(o);
  const record = fake.indexes.get(o.indexName)!.namespaces.get('__vector_tune__')!.get('store:__default__')!;
  assert.equal(record.metadata!.centred, false);
  assert.ok(
    record.values.some((v) => v !== 0),
    'Pinecone refuses all-zero dense vectors',
  );
  const opened = await PineconeStore.open({
    apiKey: KEY,
    controllerHostUrl: fake.controllerHostUrl,
    indexName: o.indexName,
  });
  assert.deepEqual(opened.info, { modelId: o.modelId, dimension: D, centringMean: null });

  await fake.createIndex('bare', D, 'dotproduct');
  await assert.rejects(
    PineconeStore.open({ apiKey: KEY, controllerHostUrl: fake.controllerHostUrl, indexName: 'bare' }),
    isClear(/"bare" has no Vector Tune store record/),
  );
  await assert.rejects(
    PineconeStore.open({ apiKey: KEY, controllerHostUrl: fake.controllerHostUrl, indexName: 'none-such' }),
    isClear(/no index named "none-such"/),
  );
  // An index with records but no store record cannot take centred vectors: their preprocessing is unknown.
  const bare = await PineconeStore.connect(options({ indexName: 'bare', create: false }));
  await bare.upsert(records(3));
  await assert.rejects(
    PineconeStore.connect(options({ indexName: 'bare', centringMean: randomUnitVectors(1, D, 3) })),
    isClear(/no store record.*centred vectors cannot be added/),
  );
  // A store record from a newer Vector Tune is refused, as a newer embedded manifest is.
  record.metadata = { ...record.metadata, version: STORE_RECORD_VERSION + 1 };
  await assert.rejects(
    PineconeStore.connect(o),
    isClear(new RegExp(`newer version of Vector Tune \\(store format ${STORE_RECORD_VERSION + 1}`)),
  );
  await assert.rejects(PineconeStore.open({ ...o }), isClear(/newer version/));
  await assert.rejects(PineconeStore.connect(options({ namespace: '__vector_tune__' })), isClear(/reserved/));
});
