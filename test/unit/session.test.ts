import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { readWeights } from '../../src/core/head/weights-file';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { readLabels } from '../../src/core/tune/labels-file';
import { TuningSession } from '../../src/core/tune/session';
import { oracleStore } from '../helpers/oracle-store';
import { tempDir } from '../helpers/temp';

const D = 16;

const setup = (t: Parameters<typeof tempDir>[0]) => oracleStore(t, 400, 21);

test('a head started from examples labels them (round 0), hides them, and tunes round by round', async (t) => {
  const { store, headsDir, positive, oracle } = await setup(t);
  const examples = [...positive].slice(0, 3);
  const session = await TuningSession.create({
    headsDir,
    name: 'pos',
    store,
    start: { kind: 'examples', ids: examples },
  });
  assert.equal(session.labelCount, 3);
  assert.equal(await store.seenCount(session.markers.key), 3);
  assert.equal(session.markers.count, 3, "the head's own count agrees with the store");
  const shown = new Set<string>();
  for (let round = 1; round <= 4; round++) {
    const batch = await session.nextBatch(10, 'top');
    assert.equal(batch.length, 10);
    for (const c of batch) {
      assert.ok(!shown.has(c.id) && !examples.includes(c.id), 'a record is never shown twice');
      shown.add(c.id);
      assert.ok(Math.abs(c.probability - 1 / (1 + Math.exp(-c.logit))) < 1e-12);
    }
    const result = await session.submit(oracle(batch.map((c) => c.id)));
    assert.equal(result.round, round);
    assert.equal(result.labelCount, 3 + 10 * round);
    assert.ok(result.moved > 0);
  }
  const labels = await readLabels(session.paths.labels);
  assert.equal(labels.labels.length, 43);
  assert.equal(labels.labels[5].path, labels.labels[5].id, 'labels carry the record path for review');
  const weights = await readWeights(session.paths.weights);
  assert.equal(weights.labels.count, 43);
  assert.equal(weights.labels.sha256, labels.sha256);
  assert.equal(weights.labels.rounds, 4);
  // The head must have learned the class: it found positives far above their 12% base rate.
  const found = [...shown].filter((id) => positive.has(id)).length;
  assert.ok(found >= 24, `head found ${found} positives in 40 shown (${positive.size} of 400 are positive)`);
});

test('the head is rebuilt exactly from its start and labels', async (t) => {
  const { store, oracle, startHead } = await setup(t);
  const session = await startHead(2);
  for (const strategy of ['top', 'boundary', 'mixed'] as const) {
    const batch = await session.nextBatch(8, strategy);
    await session.submit([
      ...oracle(batch.slice(0, 6).map((c) => c.id)),
      ...batch.slice(6).map((c) => ({ id: c.id, score: null })),
    ]);
  }
  const live = Array.from(session.head.w);
  const liveB = session.head.b;
  await session.retrainFromLabels();
  assert.deepEqual(Array.from(session.head.w), live);
  assert.equal(session.head.b, liveB);
  assert.equal(session.labelCount, 2 + 18, 'skipped records are seen but not labelled');
  assert.equal(await store.seenCount(session.markers.key), 2 + 24);
  assert.equal(session.markers.count, 2 + 24);
});

test('a crash after the labels were written but before the weights were is repaired on open', async (t) => {
  const { dir, store, oracle, startHead } = await setup(t);
  const session = await startHead(2);
  await session.submit(oracle((await session.nextBatch(10, 'top')).map((c) => c.id)));
  const weightsBefore = await fs.readFile(session.paths.weights);
  // What marks the batch seen: the store's seen file, and the head's record of what it marked.
  const seenFiles = [
    path.join(store.dir, 'seen', `${session.markers.key}.txt`),
    path.join(
      session.paths.dir,
      '.local',
      (await fs.readdir(path.join(session.paths.dir, '.local'))).find((f) => f.startsWith('seen-'))!,
    ),
  ];
  const seenBefore = await Promise.all(seenFiles.map((f) => fs.readFile(f)));
  const batch = await session.nextBatch(10, 'top');
  await session.submit(oracle(batch.map((c) => c.id)));
  const uninterrupted = await readWeights(session.paths.weights);
  // Roll back what happened after the label append: the weights write and the mark-seen.
  await fs.writeFile(session.paths.weights, weightsBefore);
  await Promise.all(seenFiles.map((f, i) => fs.writeFile(f, seenBefore[i])));

  const reopenedStore = await EmbeddedStore.open(path.join(dir, 'store'));
  const { session: reopened, repairs } = await TuningSession.open(session.paths.dir, reopenedStore);
  assert.equal(repairs.length, 1);
  assert.match(repairs[0], /retrained from 22 labels \(the weights recorded 12\)/);
  const repaired = await readWeights(session.paths.weights);
  assert.deepEqual(repaired.w, uninterrupted.w);
  assert.equal(repaired.b, uninterrupted.b);
  assert.equal(await reopenedStore.seenCount(reopened.markers.key), 22, 'labelled records are seen again');
  const next = await reopened.nextBatch(10, 'top');
  assert.ok(next.every((c) => !batch.some((b) => b.id === c.id)));
});

test('reset seen shows skipped records again but never labelled ones', async (t) => {
  const { store, oracle, startHead } = await setup(t);
  const session = await startHead(1);
  const batch = await session.nextBatch(6, 'top');
  await session.submit([
    ...oracle(batch.slice(0, 3).map((c) => c.id)),
    ...batch.slice(3).map((c) => ({ id: c.id, score: null })),
  ]);
  assert.equal(await store.seenCount(session.markers.key), 7);
  assert.equal(session.markers.count, 7);
  await session.resetSeen();
  assert.equal(await store.seenCount(session.markers.key), 4);
  assert.equal(session.markers.count, 4);
});

test('bad starts and bad submissions are refused clearly', async (t) => {
  const { store, headsDir } = await setup(t);
  await assert.rejects(
    TuningSession.create({ headsDir, name: 'x', store, start: { kind: 'examples', ids: ['img/1.jpg', 'nope.jpg'] } }),
    /1 example id\(s\) are not in the store: "nope.jpg"/,
  );
  await assert.rejects(
    TuningSession.create({
      headsDir,
      name: 'x',
      store,
      start: { kind: 'prompt', prompt: 'p', vector: new Float32Array(5) },
    }),
    /5 dimensions; the store holds 16-d/,
  );
  await assert.rejects(
    TuningSession.create({ headsDir, name: '../escape', store, start: { kind: 'examples', ids: ['img/1.jpg'] } }),
    /not a valid head name/,
  );
  const s = await TuningSession.create({ headsDir, name: 'x', store, start: { kind: 'examples', ids: ['img/1.jpg'] } });
  await assert.rejects(
    TuningSession.create({ headsDir, name: 'x', store, start: { kind: 'examples', ids: ['img/1.jpg'] } }),
    /already exists/,
  );
  await assert.rejects(s.submit([{ id: 'ghost', score: 1 }]), /not in the store: "ghost"/);
  await assert.rejects(s.submit([{ id: 'img/2.jpg', score: 2 }]), /from -1 to \+1/);
  assert.equal((await readLabels(s.paths.labels)).labels.length, 1, 'a refused submission writes nothing');

  const other = await EmbeddedStore.openOrCreate(path.join(path.dirname(headsDir), 'other'), {
    modelId: 'other',
    dimension: D,
  });
  await assert.rejects(
    TuningSession.create({ headsDir, name: 'y', store: other, start: { kind: 'weights', file: s.paths.weights } }),
    /trained on 16-d embeddings of "m"/,
  );
  await assert.rejects(TuningSession.open(s.paths.dir, other), /trained on 16-d embeddings of "m"/);
});

test('each round trains on every label up to it, the latest score per record winning', async () => {
  const { examplesUpTo } = await import('../../src/core/tune/replay');
  const x = (v: number) => new Float32Array([v]);
  const vectors = new Map([
    ['a', x(1)],
    ['b', x(2)],
    ['c', x(3)],
  ]);
  const labels = [
    { id: 'a', score: 1, round: 0, time: '' },
    { id: 'b', score: -1, round: 1, time: '' },
    { id: 'a', score: -1, round: 2, time: '' },
    { id: 'c', score: 0, round: 3, time: '' },
    { id: 'gone', score: 1, round: 1, time: '' },
  ];
  const at = (round: number) => examplesUpTo(labels, round, vectors).map((e) => [e.x[0], e.target]);
  assert.deepEqual(at(1), [
    [1, 1],
    [2, 0],
  ]);
  assert.deepEqual(
    at(2),
    [
      [1, 0],
      [2, 0],
    ],
    're-scored in round 2: the new score replaces the old',
  );
  assert.deepEqual(at(3), [
    [1, 0],
    [2, 0],
    [3, 0.5],
  ]);
});

test('a batch with every image skipped trains nothing, and labels are never deleted without overwrite', async (t) => {
  const { store, headsDir, positive, oracle, startHead } = await setup(t);
  const session = await startHead(2);
  await session.submit(oracle((await session.nextBatch(5, 'top')).map((c) => c.id)));
  const w = Array.from(session.head.w);
  const skipped = await session.nextBatch(5, 'top');
  const result = await session.submit(skipped.map((c) => ({ id: c.id, score: null })));
  assert.equal(result.moved, 0);
  assert.deepEqual(Array.from(session.head.w), w, 'no training on an all-skipped batch');
  await session.retrainFromLabels();
  assert.deepEqual(Array.from(session.head.w), w, 'the weights stay reproducible from the labels');
  assert.equal(await store.seenCount(session.markers.key), 2 + 10);

  await fs.rm(session.paths.weights);
  await assert.rejects(
    TuningSession.create({ headsDir, name: 'h', store, start: { kind: 'examples', ids: [...positive].slice(0, 2) } }),
    /has a labels file but no weights file/,
  );
  assert.equal((await readLabels(session.paths.labels)).labels.length, 7, 'the labels are still there');
});
