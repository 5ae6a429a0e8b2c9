/**
 * The engine worker on a Pinecone store: the BUILT bundle dist/worker.js (run `node esbuild.js` first) in a
 * real worker thread, driven through WorkerClient as the extension drives it, against the local stand-in of
 * Pinecone's HTTP API (test/helpers/fake-pinecone.ts), on a copy of the 48 sample photos with a generated
 * CLIP-layout model. Indexing (incremental), a prompt head, rounds, and faults in the middle of a round:
 * the labels are on disk, the error says so, and submitting the batch again finishes the round.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineError, WorkerClient } from '../../src/extension/worker-client';
import { seenField } from '../../src/core/store/pinecone/metadata';
import type { EngineConfig } from '../../src/protocol/worker-protocol';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { failure, startWorkerSession, type WorkerSession } from '../helpers/worker-session';
import { engineConfigFor, listJpegs, recordId } from '../helpers/worker-workspace';

const KEY = 'pcsk_worker-test-key-5be1d7';
const INDEX = 'vt-photos';
const PHOTO_COUNT = 48;
const RETRIES = 2; // 3 attempts per request, 10 ms apart: a persistent fault is reported at once

let ws: string;
let photos: string;
let config: EngineConfig;
let client: WorkerClient;
let logs: string[];
let session: WorkerSession;
let fake: FakePinecone;

before(async () => {
  session = await startWorkerSession('vt-pc-worker-');
  ({ ws, photos, client, logs } = session);
  fake = await startFakePinecone({ apiKey: KEY });
  config = {
    ...engineConfigFor(ws, session.modelDir),
    pinecone: {
      indexName: INDEX,
      cloud: 'aws',
      region: 'eu-west-1',
      controllerHostUrl: fake.controllerHostUrl,
      apiKey: KEY,
      transport: { timeoutMs: 2000, maxRetries: RETRIES, baseDelayMs: 10 },
    },
  };
});

after(async () => {
  await session?.close();
  await fake?.close();
});

/** The request's failure, which must be an EngineError. */
async function engineFailure(promise: Promise<unknown>): Promise<EngineError> {
  const err = await failure(promise);
  assert.ok(err instanceof EngineError, String(err));
  return err;
}

const labelLines = async (file: string) =>
  (await fs.readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const data = () => fake.indexes.get(INDEX)!.namespaces.get('__default__')!;
/** Records marked seen by a head: markers are keyed by the head's id (classifier.weights.json), not its name. */
const seenIn = (headId: string) =>
  [...data().values()]
    .filter((r) => r.metadata?.[seenField(headId)] === true)
    .map((r) => r.id)
    .sort();
const upserts = () => fake.requests.filter((r) => r.path === '/vectors/upsert').length;
const index = (folder: string) => client.request('index', { folder, batchSize: 8, maxPixels: 50_000_000 });

describe('the engine worker on a Pinecone index (local stand-in)', () => {
  it('has no store before indexing; indexing creates the index and its store record', async () => {
    await client.request('configure', config);
    assert.equal(await client.request('storeInfo', {}), null);
    const report = await index(photos);
    assert.deepEqual(
      [report.added, report.unchanged, report.removed, report.skipped.map((s) => s.path)],
      [PHOTO_COUNT, 0, 0, ['photos/broken.jpg']],
    );
    const created = fake.indexes.get(INDEX)!;
    assert.deepEqual(
      [created.dimension, created.metric, created.spec],
      [64, 'dotproduct', { serverless: { cloud: 'aws', region: 'eu-west-1' } }],
    );
    assert.equal(data().size, PHOTO_COUNT);
    const r = data().get('photos/hat/' + path.basename((await listJpegs(path.join(photos, 'hat')))[0]))!;
    assert.deepEqual(
      Object.keys(r.metadata!).sort(),
      ['hash', 'mtimeMs', 'path', 'size'],
      'hash, size and mtime travel as metadata',
    );
    assert.deepEqual(await client.request('storeInfo', {}), {
      count: PHOTO_COUNT,
      modelId: 'vector-tune/generated-clip-tiny',
      dimension: 64,
    });
    await assert.rejects(fs.access(path.join(ws, '.vectortune')), 'nothing was written to the embedded store');
  });

  it('indexes incrementally: unchanged files are not embedded again, deleted ones dropped, new ones added', async () => {
    const before = upserts();
    const again = await index(photos);
    assert.deepEqual([again.added, again.updated, again.unchanged, again.removed], [0, 0, PHOTO_COUNT, 0]);
    assert.equal(upserts(), before, 'no upsert on a re-run');
    // A touched file (same bytes, new mtime) is unchanged by its hash; a deleted one is dropped; a new one added.
    const [touched, deleted] = (await listJpegs(path.join(photos, 'shirt'))).slice(0, 2);
    await fs.utimes(touched, new Date(), new Date(Date.now() - 3600_000));
    await fs.copyFile(deleted, path.join(photos, 'copy.jpg'));
    await fs.rm(deleted);
    const changed = await index(photos);
    assert.deepEqual([changed.added, changed.updated, changed.unchanged, changed.removed], [1, 0, PHOTO_COUNT - 1, 1]);
    assert.ok(!data().has(recordId(ws, deleted)) && data().has('photos/copy.jpg'));
  });

  let labelsFile: string;
  let hatsId: string;

  it('runs a round on Pinecone: the batch gets its seen markers', async () => {
    const head = await client.request('startHead', {
      name: 'hats',
      start: { kind: 'prompt', prompt: 'a photo of a hat' },
      overwrite: false,
    });
    labelsFile = head.labelsFile;
    hatsId = (JSON.parse(await fs.readFile(head.weightsFile, 'utf8')) as { id: string }).id;
    assert.equal(head.storeCount, PHOTO_COUNT);
    const { candidates } = await client.request('nextBatch', { k: 6, strategy: 'top' });
    const { result, head: after } = await client.request('submit', {
      verdicts: candidates.map((c, i) => ({ id: c.id, score: i < 2 ? 1 : i < 5 ? -1 : null })),
    });
    assert.deepEqual([result.round, result.labelCount, after.seenCount], [1, 5, 6]);
    assert.deepEqual(seenIn(hatsId), candidates.map((c) => c.id).sort());
  });

  it('a round whose seen markers fail: labels saved, a clear error, and submitting again finishes it once', async () => {
    const { candidates } = await client.request('nextBatch', { k: 6, strategy: 'boundary' });
    const verdicts = candidates.map((c, i) => ({ id: c.id, score: i % 2 ? 0.5 : -0.5 }));
    fake.inject({ kind: 'status', status: 500 }, 1000, { path: '/vectors/update' });
    const err = await engineFailure(client.request('submit', { verdicts }));
    fake.clearFaults();
    assert.equal(err.userError, true);
    assert.match(
      err.message,
      /^round 2 is not finished: Pinecone failed with HTTP 500 after 3 attempts .*Its 6 score\(s\) are saved in .*labels\.jsonl; submit the batch again to finish the round/,
    );
    const saved = await labelLines(labelsFile);
    assert.deepEqual(
      saved.filter((l) => l.round === 2).map((l) => [l.id, l.score]),
      verdicts.map((v) => [v.id, v.score]),
      'the scores are on disk',
    );

    const retried = await client.request('submit', { verdicts });
    assert.deepEqual([retried.result.round, retried.result.labelCount, retried.head.nextRound], [2, 11, 3]);
    assert.ok(retried.result.moved > 0 && Number.isFinite(retried.result.loss));
    assert.deepEqual(await labelLines(labelsFile), saved, 'nothing recorded twice');
    assert.equal(seenIn(hatsId).length, 12);
    const weights = JSON.parse(
      await fs.readFile(path.join(path.dirname(labelsFile), 'classifier.weights.json'), 'utf8'),
    );
    assert.deepEqual([weights.labels.count, weights.labels.rounds], [11, 2]);
  });

  it('a round whose seen marks cannot be written is finished by the next request: its records are not shown again', async () => {
    const { candidates } = await client.request('nextBatch', { k: 4, strategy: 'top' });
    const verdicts = candidates.map((c, i) => ({ id: c.id, score: i === 0 ? 1 : -1 }));
    // The submit's fetch passes and its labels are written; marking the batch seen fails: every attempt of the
    // four records' metadata updates (one request each) is dropped.
    fake.inject({ kind: 'drop' }, 4 * (RETRIES + 1), { path: '/vectors/update' });
    const err = await engineFailure(client.request('submit', { verdicts }));
    assert.match(err.message, /^round 3 is not finished: could not reach Pinecone .*3 attempts/);
    assert.equal((await labelLines(labelsFile)).length, 15);
    // Asking for the next batch first also finishes the round: its records are not shown again.
    const next = await client.request('nextBatch', { k: PHOTO_COUNT, strategy: 'top' });
    assert.equal(next.head.labelCount, 15);
    assert.ok(next.candidates.every((c) => !verdicts.some((v) => v.id === c.id)));
    assert.equal(next.candidates.length, PHOTO_COUNT - 16);
    assert.ok(
      logs.some((l) => /Finished round 3 of head "hats" after an earlier failure/.test(l)),
      logs.slice(-5).join('\n'),
    );
    const weights = JSON.parse(
      await fs.readFile(path.join(path.dirname(labelsFile), 'classifier.weights.json'), 'utf8'),
    );
    assert.deepEqual([weights.labels.count, weights.labels.rounds], [15, 3]);
  });

  it('a failing query is a clear error, and asking again works', async () => {
    fake.inject({ kind: 'status', status: 503 }, RETRIES + 1, { path: '/query' });
    const err = await engineFailure(client.request('nextBatch', { k: 3, strategy: 'top' }));
    assert.match(err.message, /Pinecone failed with HTTP 503 after 3 attempts/);
    assert.equal((await client.request('nextBatch', { k: 3, strategy: 'top' })).candidates.length, 3);
  });

  it('resetSeen on Pinecone keeps labelled records seen', async () => {
    const head = await client.request('resetSeen', {});
    assert.equal(head.seenCount, 15);
    assert.equal(seenIn(hatsId).length, 15);
  });

  it('never sends the key back: errors and log lines are masked, even when a URL carries it', async () => {
    // A host whose path holds the key: the transport names the URL in its error.
    const leaky = { ...config, pinecone: { ...config.pinecone!, host: `http://127.0.0.1:9/${KEY}` } };
    await client.request('configure', leaky);
    const err = await engineFailure(client.request('openHead', { headDir: path.dirname(labelsFile) }));
    assert.match(err.message, /could not reach Pinecone at 127\.0\.0\.1:9\/\*\*\*\/vectors\/fetch/);
    const wrong = { ...config, pinecone: { ...config.pinecone!, apiKey: 'pcsk_not-the-key' } };
    await client.request('configure', wrong);
    assert.match((await engineFailure(client.request('storeInfo', {}))).message, /refused the API key \(HTTP 401\)/);
    await client.request('configure', config);
    assert.ok(logs.length > 5);
    assert.ok(!logs.some((l) => l.includes(KEY) || l.includes('pcsk_not-the-key')), 'no log line holds a key');
  });
});

describe('WorkerClient masks the key too', () => {
  it('in what the worker cannot mask: its raw stderr and a crash stack', async () => {
    // A stand-in worker that does everything wrong with the key it is sent.
    const file = path.join(session.tmp, 'leaky-worker.js');
    await fs.writeFile(
      file,
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', (m) => {
         process.stderr.write('leaked ' + m.params.pinecone.apiKey + '\\n');
         setTimeout(() => { throw new Error('crashed holding ' + m.params.pinecone.apiKey); }, 50);
       });`,
    );
    const lines: string[] = [];
    const leaky = new WorkerClient(file, (level, message) => lines.push(`${level}: ${message}`));
    const err = await failure(leaky.request('configure', config));
    assert.match(err.message, /stopped unexpectedly/);
    await leaky.dispose();
    assert.ok(
      lines.some((l) => l === 'warn: leaked ***'),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /The Vector Tune worker failed: Error: crashed holding \*\*\*/.test(l)),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => l.includes(KEY)));
  });
});
