import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/command';
import { copyStore, embeddedSeenReader, headOfField } from '../../src/core/store/copy-store';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { seenField } from '../../src/core/store/pinecone/metadata';
import { PineconeStore } from '../../src/core/store/pinecone/pinecone-store';
import { readSeen, seenFile } from '../../src/core/store/seen-file';
import type { VectorRecord } from '../../src/core/store/types';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';

/** `vector-tune copy-store` and its engine against the local Pinecone stand-in. */
const D = 16;
const KEY = 'pc-copy-secret-key-987';
const MODEL = 'Xenova/clip-vit-base-patch32';
let fake: FakePinecone;
let serial = 0;

before(async () => {
  fake = await startFakePinecone({ apiKey: KEY });
});
after(() => fake.close());

function records(n: number, seed = 3): VectorRecord[] {
  const data = randomUnitVectors(n, D, seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `img/r${i}.jpg`,
    ...(i % 7 === 3 ? {} : { path: `img/r${i}.jpg` }),
    hash: `h${i}`,
    ...(i % 2 === 0 ? { size: 1000 + i, mtimeMs: 1_700_000_000_000 + i } : {}),
    vector: data.slice(i * D, (i + 1) * D),
  }));
}

async function sourceStore(dir: string, n: number): Promise<EmbeddedStore> {
  const store = await EmbeddedStore.openOrCreate(dir, { modelId: MODEL, dimension: D });
  await store.upsert(records(n));
  await store.markSeen('dogs', ['img/r1.jpg', 'img/r5.jpg', 'img/r40.jpg']);
  await store.markSeen('cats at home', ['img/r2.jpg', 'img/r5.jpg']);
  await store.markSeen('empty', []);
  return store;
}

function cli(cwd: string) {
  const lines: string[] = [];
  const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(l), cwd, env: { PINECONE_API_KEY: KEY } };
  return {
    io,
    lines,
    run: (args: string[]) =>
      runCli(['copy-store', ...args, '--controller-host', fake.controllerHostUrl, '--batch-size', '16'], io),
  };
}

async function snapshot(store: EmbeddedStore, dir: string, heads: string[]) {
  const recs = (await store.fetch(store.allRecords().map((r) => r.id))).map((r) => ({
    ...r,
    vector: Array.from(r.vector),
  }));
  recs.sort((a, b) => (a.id < b.id ? -1 : 1));
  const seen: Record<string, string[]> = {};
  for (const h of heads) seen[h] = [...new Set(await readSeen(seenFile(dir, h)))].sort();
  return { recs, seen };
}

test('embedded -> pinecone -> new embedded gives identical records and seen sets', async (t) => {
  const root = await tempDir(t);
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  const src = await sourceStore(a, 50);
  const index = `copy-${++serial}`;
  const { run, lines } = cli(root);

  assert.equal(
    await run(['--from', 'embedded', '--to', 'pinecone', '--store', 'a', '--index', index]),
    0,
    lines.join('\n'),
  );
  const stored = fake.indexes.get(index)!.namespaces.get('__default__')!;
  assert.equal(stored.size, 50);
  assert.equal(stored.get('img/r5.jpg')!.metadata![seenField('cats at home')], true);

  assert.equal(
    await run(['--from', 'pinecone', '--to', 'embedded', '--store', 'b', '--index', index, '--model-id', MODEL]),
    0,
    lines.join('\n'),
  );
  const copy = await EmbeddedStore.open(b);
  assert.deepEqual(copy.info, src.info);
  const heads = ['dogs', 'cats at home'];
  assert.deepEqual(await snapshot(copy, b, heads), await snapshot(src, a, heads));
  assert.equal(await copy.seenCount('dogs'), 3);
  assert.equal(await copy.seenCount('cats at home'), 2);
  assert.ok(!lines.join('\n').includes(KEY), 'the API key is never printed');
});

test('a centred store copies both ways with its mean; the way back reads the model from the store record', async (t) => {
  const root = await tempDir(t);
  const a = path.join(root, 'a');
  const mean = randomUnitVectors(1, D, 8).map((v) => v * 0.2);
  const src = await EmbeddedStore.openOrCreate(a, { modelId: MODEL, dimension: D, centringMean: mean });
  await src.upsert(records(30));
  await src.markSeen('dogs', ['img/r1.jpg']);
  const index = `copy-${++serial}`;
  const { run, lines } = cli(root);
  assert.equal(
    await run(['--from', 'embedded', '--to', 'pinecone', '--store', 'a', '--index', index]),
    0,
    lines.join('\n'),
  );
  const record = fake.indexes.get(index)!.namespaces.get('__vector_tune__')!.get('store:__default__')!;
  assert.deepEqual(record.values, Array.from(mean));
  // No --model-id: the store record names the model, and its mean comes back exactly.
  assert.equal(
    await run(['--from', 'pinecone', '--to', 'embedded', '--store', 'b', '--index', index]),
    0,
    lines.join('\n'),
  );
  const copy = await EmbeddedStore.open(path.join(root, 'b'));
  assert.deepEqual(copy.info, src.info);
  assert.deepEqual(await snapshot(copy, path.join(root, 'b'), ['dogs']), await snapshot(src, a, ['dogs']));
  // An uncentred store cannot go into the centred index, nor the centred one into an uncentred store.
  await EmbeddedStore.openOrCreate(path.join(root, 'plain'), { modelId: MODEL, dimension: D });
  await (await EmbeddedStore.open(path.join(root, 'plain'))).upsert(records(2, 9));
  assert.equal(await run(['--from', 'embedded', '--to', 'pinecone', '--store', 'plain', '--index', index]), 1);
  assert.match(lines.at(-1)!, /centred by another mean.*not centred.*cannot be mixed/);
  assert.equal(await run(['--from', 'pinecone', '--to', 'embedded', '--store', 'plain', '--index', index]), 1);
  assert.match(lines.at(-1)!, /preprocess vectors differently \(centring mean\)/);
  assert.equal(fake.indexes.get(index)!.namespaces.get('__default__')!.size, 30);
});

test('--heads limits the seen state copied', async (t) => {
  const root = await tempDir(t);
  await sourceStore(path.join(root, 'a'), 20);
  const index = `copy-${++serial}`;
  const { run, lines } = cli(root);
  assert.equal(
    await run(['--from', 'embedded', '--to', 'pinecone', '--store', 'a', '--index', index, '--heads', 'dogs']),
    0,
    lines.join('\n'),
  );
  const metas = [...fake.indexes.get(index)!.namespaces.get('__default__')!.values()].map((r) => r.metadata ?? {});
  assert.equal(metas.filter((m) => m.seen_dogs === true).length, 2);
  assert.equal(metas.filter((m) => Object.keys(m).some((k) => k !== 'seen_dogs' && k.startsWith('seen_'))).length, 0);
});

test('an interrupted copy, run again, ends complete without duplicates', async (t) => {
  const root = await tempDir(t);
  const a = path.join(root, 'a');
  const src = await sourceStore(a, 60);
  const index = `copy-${++serial}`;
  const options = {
    apiKey: KEY,
    controllerHostUrl: fake.controllerHostUrl,
    indexName: index,
    modelId: MODEL,
    dimension: D,
    timeoutMs: 2000,
    maxRetries: 1,
    baseDelayMs: 5,
  };
  const dest = await PineconeStore.connect(options);
  // Fail mid-way: after a few successful requests every attempt of one request fails.
  const upserts = () => fake.requests.filter((r) => r.path === '/vectors/upsert').length;
  const before = upserts();
  let failed = false;
  const progress: number[] = [];
  const original = dest.upsert.bind(dest);
  let calls = 0;
  dest.upsert = async (recs) => {
    if (++calls === 3) fake.inject({ kind: 'status', status: 500 }, 2); // both attempts of this batch's first request
    return original(recs);
  };
  await copyStore({
    from: src,
    to: dest,
    seen: await embeddedSeenReader(a),
    batchSize: 10,
    onProgress: (p) => progress.push(p.read),
  }).catch(() => {
    failed = true;
  });
  assert.ok(failed, 'the first run failed');
  const partial = fake.indexes.get(index)!.namespaces.get('__default__')!.size;
  assert.ok(partial > 0 && partial < 60, `partial copy: ${partial}`);
  assert.ok(upserts() > before);

  dest.upsert = original;
  const report = await copyStore({ from: src, to: dest, seen: await embeddedSeenReader(a), batchSize: 10 });
  assert.equal(report.read, 60);
  assert.equal(report.skipped, partial, 'what was copied before is not written again');
  assert.equal(report.written, 60 - partial);
  const stored = fake.indexes.get(index)!.namespaces.get('__default__')!;
  assert.equal(stored.size, 60);
  assert.equal(new Set(stored.keys()).size, 60);
  assert.equal(await dest.count(), 60);
  assert.equal(await dest.seenCount('dogs'), 3);
  assert.equal(await dest.seenCount('cats at home'), 2);
  const back = await dest.fetch(src.allRecords().map((r) => r.id));
  assert.deepEqual(
    back.map((r) => ({ ...r, vector: Array.from(r.vector) })),
    (await src.fetch(src.allRecords().map((r) => r.id))).map((r) => ({ ...r, vector: Array.from(r.vector) })),
  );
});

test('an interrupted CLI copy back into an embedded store resumes to the same result', async (t) => {
  const root = await tempDir(t);
  const a = path.join(root, 'a');
  const src = await sourceStore(a, 40);
  const index = `copy-${++serial}`;
  const { run, lines } = cli(root);
  assert.equal(
    await run(['--from', 'embedded', '--to', 'pinecone', '--store', 'a', '--index', index]),
    0,
    lines.join('\n'),
  );
  // A 401 is not retried: the pull stops part-way (after describe, connect and some batches).
  const sent = fake.requests.length;
  const origPush = fake.requests.push.bind(fake.requests);
  fake.requests.push = (...items) => {
    const n = origPush(...items);
    if (n === sent + 8) fake.inject({ kind: 'status', status: 401 });
    return n;
  };
  const code = await run([
    '--from',
    'pinecone',
    '--to',
    'embedded',
    '--store',
    'b',
    '--index',
    index,
    '--model-id',
    MODEL,
  ]);
  fake.requests.push = origPush;
  assert.equal(code, 1);
  const partial = await EmbeddedStore.open(path.join(root, 'b'));
  assert.ok((await partial.count()) < 40, `partial: ${await partial.count()}`);
  assert.equal(
    await run(['--from', 'pinecone', '--to', 'embedded', '--store', 'b', '--index', index, '--model-id', MODEL]),
    0,
    lines.join('\n'),
  );
  const copy = await EmbeddedStore.open(path.join(root, 'b'));
  const heads = ['dogs', 'cats at home'];
  assert.deepEqual(await snapshot(copy, path.join(root, 'b'), heads), await snapshot(src, a, heads));
  assert.ok(!lines.join('\n').includes(KEY), 'the API key is in no output or error');
});

test('a model or dimension mismatch is refused before anything is written; the key is never shown', async (t) => {
  const root = await tempDir(t);
  await sourceStore(path.join(root, 'a'), 10);
  const { run, lines } = cli(root);
  await fake.createIndex('wrong-dim', 8, 'dotproduct');
  assert.equal(await run(['--from', 'embedded', '--to', 'pinecone', '--store', 'a', '--index', 'wrong-dim']), 1);
  assert.match(lines.at(-1)!, /holds 8-d vectors/);
  await fake.createIndex('wrong-model', D, 'dotproduct', { vector_tune_model: 'other' });
  assert.equal(await run(['--from', 'embedded', '--to', 'pinecone', '--store', 'a', '--index', 'wrong-model']), 1);
  assert.match(lines.at(-1)!, /embeddings of "other"/);
  // Back into an existing embedded store of another model.
  const index = `copy-${++serial}`;
  assert.equal(await run(['--from', 'embedded', '--to', 'pinecone', '--store', 'a', '--index', index]), 0);
  await EmbeddedStore.openOrCreate(path.join(root, 'other'), { modelId: 'another-model', dimension: D });
  assert.equal(await run(['--from', 'pinecone', '--to', 'embedded', '--store', 'other', '--index', index]), 1);
  assert.match(lines.at(-1)!, /\(not "another-model"\)/);
  assert.equal(await (await EmbeddedStore.open(path.join(root, 'other'))).count(), 0);
  // A wrong key: a clear error that does not echo it; no option takes a key.
  const wrong = { ...cli(root), lines: [] as string[] };
  const io: CliIo = {
    out: (l) => wrong.lines.push(l),
    err: (l) => wrong.lines.push(l),
    cwd: root,
    env: { PINECONE_API_KEY: 'not-the-key-xyz' },
  };
  assert.equal(
    await runCli(
      [
        'copy-store',
        '--from',
        'embedded',
        '--to',
        'pinecone',
        '--store',
        'a',
        '--index',
        index,
        '--controller-host',
        fake.controllerHostUrl,
      ],
      io,
    ),
    1,
  );
  assert.match(wrong.lines.join('\n'), /refused the API key/);
  assert.ok(!wrong.lines.join('\n').includes('not-the-key-xyz'));
  assert.equal(await runCli(['copy-store', '--api-key', KEY], io), 2, 'an unknown option is a usage error');
  const noKey: CliIo = { ...io, env: {} };
  assert.equal(await runCli(['copy-store', '--from', 'embedded', '--to', 'pinecone', '--index', index], noKey), 1);
  assert.ok(!lines.join('\n').includes(KEY));
});

test('seen field names decode back to head names', () => {
  for (const h of ['dogs', 'cats at home', 'x-1', 'é.$']) assert.equal(headOfField(seenField(h)), h);
  // Two heads never share a field, whatever their names look like.
  for (const h of ['x612062', '612062', 'a b', '_a']) assert.equal(headOfField(seenField(h)), h);
  assert.notEqual(seenField('x612062'), seenField('a b'));
});
