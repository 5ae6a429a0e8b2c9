import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import type { Candidate } from '../../src/core/store/types';
import { pickDiverse } from '../../src/core/tune/diverse';
import { TuningSession } from '../../src/core/tune/session';
import { cohenKappa, StabilisingPredictions } from '../../src/core/tune/stop-rule';
import { isStrategy } from '../../src/core/tune/strategy';
import { seededRandom } from '../../src/core/util/random';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';

const D = 16;
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

/** 60 distinct records, each with 4 near-duplicates (cosine about 0.99): bursts, as a photo folder has. */
function withBursts(seed: number) {
  const base = randomUnitVectors(60, D, seed);
  const random = seededRandom(seed + 1);
  const records: { id: string; vector: Float32Array }[] = [];
  for (let r = 0; r < 60; r++) {
    for (let k = 0; k < 5; k++) {
      const v = base.slice(r * D, (r + 1) * D).map((x) => x + (k === 0 ? 0 : (random() - 0.5) * 0.05));
      const n = Math.hypot(...v);
      records.push({ id: `r${r}-${k}`, vector: v.map((x) => x / n) });
    }
  }
  return records;
}

test('pickDiverse keeps the strategy order, collapses near-duplicates, and fills the batch k-center style', () => {
  const records = withBursts(4);
  const vectors = new Map(records.map((r) => [r.id, r.vector]));
  const pool: Candidate[] = records.slice(0, 50).map((r, i) => ({ id: r.id, dot: -i }));
  const picked = pickDiverse(pool, vectors, 8, 0.9);
  assert.deepEqual(
    picked.map((c) => c.id),
    ['r0-0', 'r1-0', 'r2-0', 'r3-0', 'r4-0', 'r5-0', 'r6-0', 'r7-0'],
    'the best-ranked record of each burst, in rank order',
  );
  // A pool of one burst and one other record: the threshold leaves two; the rest are filled least-similar first.
  const small = pickDiverse(pool.slice(0, 6), vectors, 4, 0.9);
  assert.equal(small.length, 4);
  assert.deepEqual(
    small.slice(0, 2).map((c) => c.id),
    ['r0-0', 'r1-0'],
  );
  assert.deepEqual(pickDiverse(pool, vectors, 0, 0.9), []);
});

test('a -diverse strategy through the session: no two records of a batch are near-duplicates; the plain one has them', async (t) => {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(path.join(dir, 'store'), { modelId: 'm', dimension: D });
  await store.upsert(withBursts(9));
  assert.ok(isStrategy('boundary-diverse') && !isStrategy('diverse'));
  const batches: Record<string, string[]> = {};
  for (const strategy of ['top', 'top-diverse', 'mixed-diverse'] as const) {
    const session = await TuningSession.create({
      headsDir: path.join(dir, 'heads'),
      name: strategy,
      store,
      start: { kind: 'examples', ids: ['r0-0', 'r1-0'] },
    });
    const batch = await session.nextBatch(10, strategy);
    assert.equal(batch.length, 10, strategy);
    const vecs = await store.fetch(batch.map((c) => c.id));
    let closest = -1;
    for (let i = 0; i < vecs.length; i++)
      for (let j = i + 1; j < vecs.length; j++) closest = Math.max(closest, cos(vecs[i].vector, vecs[j].vector));
    if (strategy === 'top') assert.ok(closest > 0.95, `the plain top batch holds near-duplicates (${closest})`);
    else assert.ok(closest < 0.9, `${strategy}: closest pair ${closest}`);
    batches[strategy] = batch.map((c) => c.id);
  }
  // The examples r0-0 and r1-0 are labelled: the diverse batch is led by the best record not near either of them.
  const vector = new Map((await store.fetch(batches.top)).map((r) => [r.id, r.vector]));
  const [e0, e1] = (await store.fetch(['r0-0', 'r1-0'])).map((r) => r.vector);
  const best = batches.top.find((id) => cos(vector.get(id)!, e0) < 0.9 && cos(vector.get(id)!, e1) < 0.9);
  assert.equal(batches['top-diverse'][0], best, 'the best record away from the labelled ones leads');
});

test('pickDiverse keeps away from labelled records too: a near-duplicate of a labelled image is not taken', () => {
  const records = withBursts(5);
  const vectors = new Map(records.map((r) => [r.id, r.vector]));
  const pool: Candidate[] = records.slice(0, 50).map((r, i) => ({ id: r.id, dot: -i }));
  // r0-1 and r2-3 were labelled: their bursts' best-ranked records (r0-0, r2-0) are near-duplicates of them.
  const labelled = [vectors.get('r0-1')!, vectors.get('r2-3')!];
  assert.deepEqual(
    pickDiverse(pool, vectors, 4, 0.9, labelled).map((c) => c.id),
    ['r1-0', 'r3-0', 'r4-0', 'r5-0'],
  );
  assert.deepEqual(
    pickDiverse(pool, vectors, 4, 0.9).map((c) => c.id),
    ['r0-0', 'r1-0', 'r2-0', 'r3-0'],
    'without the labelled records the bursts lead',
  );
});

test('the session: -diverse batches skip near-duplicates of labelled records, at the similarity asked for', async (t) => {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(path.join(dir, 'store'), { modelId: 'm', dimension: D });
  const records = withBursts(11);
  await store.upsert(records);
  const session = await TuningSession.create({
    headsDir: path.join(dir, 'heads'),
    name: 'labelled-bursts',
    store,
    start: { kind: 'examples', ids: ['r0-0', 'r1-0'] },
  });
  const vector = new Map(records.map((r) => [r.id, r.vector]));
  const labelled = session.allLabels.map((l) => vector.get(l.id)!);
  const nearLabelled = (ids: string[]) =>
    ids.filter((id) => labelled.some((l) => cos(l, vector.get(id)!) >= 0.9)).length;
  const plain = (await session.nextBatch(10, 'top')).map((c) => c.id);
  assert.ok(nearLabelled(plain) >= 4, `the plain top batch is full of the examples' bursts (${nearLabelled(plain)})`);
  const diverse = (await session.nextBatch(10, 'top-diverse')).map((c) => c.id);
  assert.equal(diverse.length, 10);
  assert.equal(nearLabelled(diverse), 0, 'no near-duplicate of a labelled record');
  // At similarity 1 nothing counts as a near-duplicate: the batch is the plain one.
  assert.deepEqual(
    (await session.nextBatch(10, 'top-diverse', { maxSimilarity: 1 })).map((c) => c.id),
    plain,
  );
});

test("Cohen's kappa: known values, and the undefined case of no positives anywhere", () => {
  // 20 items: a says yes to 0-9; b to 0-7 and 10-11. Observed 16/20; chance 0.5·0.5 + 0.5·0.5 = 0.5; kappa 0.6.
  const a = Array.from({ length: 20 }, (_, i) => i < 10);
  const b = Array.from({ length: 20 }, (_, i) => i < 8 || i === 10 || i === 11);
  assert.ok(Math.abs(cohenKappa(a, b) - 0.6) < 1e-12);
  assert.equal(cohenKappa(a, a), 1);
  const none = new Array<boolean>(20).fill(false);
  assert.equal(cohenKappa(none, none), 1, 'nothing changed');
  assert.throws(() => cohenKappa([true], [true, false]));
});

test('the stop rule fires on the third round in a row above 0.99, not before, and a dip resets it', () => {
  const base = Array.from({ length: 1000 }, (_, i) => i % 7 === 0);
  const flip = (n: number) => base.map((x, i) => (i < n ? !x : x));
  const rule = new StabilisingPredictions();
  // Round 1 flips 100 decisions and round 2 flips them back (kappa low); rounds 3 and 4 repeat round 2 (two above
  // 0.99); round 5 flips one decision in 1,000, still above 0.99: the third in a row, so the rule fires there.
  const rounds = [base, flip(100), base, base, base, flip(1)];
  const fired = rounds.map((d) => rule.push(d));
  assert.deepEqual(fired, [false, false, false, false, false, true]);
  assert.equal(rule.firedAt, 5);
  assert.equal(rule.kappas.length, 5);
  const dipped = new StabilisingPredictions();
  for (const d of [base, base, base, flip(100), flip(100), flip(100)]) dipped.push(d);
  assert.equal(dipped.firedAt, null, 'two rounds above, a dip, then two again: not three in a row');
});
