import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { formatProgress, ProgressTracker } from '../../src/core/tune/progress';
import { TuningSession, Verdict } from '../../src/core/tune/session';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';

const D = 16;

async function setup(t: Parameters<typeof tempDir>[0], learningRate?: number) {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(path.join(dir, 'store'), { modelId: 'm', dimension: D });
  const data = randomUnitVectors(400, D, 9);
  const recs = Array.from({ length: 400 }, (_, i) => ({ id: `r${i}`, vector: data.slice(i * D, (i + 1) * D) }));
  await store.upsert(recs);
  const positive = new Set(recs.filter((r) => r.vector[0] > 0.3).map((r) => r.id));
  const session = await TuningSession.create({
    headsDir: path.join(dir, 'heads'),
    name: 'h',
    store,
    start: { kind: 'examples', ids: [...positive].slice(0, 2) },
    settings: learningRate === undefined ? {} : { learningRate },
  });
  return { session, positive };
}

test("progress counts each batch's hits, the labels so far and how much the top 100 moved", async (t) => {
  const { session, positive } = await setup(t);
  const tracker = new ProgressTracker();
  await tracker.start(session);
  for (let i = 0; i < 3; i++) {
    const batch = await session.nextBatch(10, 'top');
    const verdicts: Verdict[] = batch.map((c, j) => ({
      id: c.id,
      score: j === 9 ? null : positive.has(c.id) ? 1 : -1,
    }));
    const result = await session.submit(verdicts);
    const p = await tracker.after(session, result.round, verdicts);
    assert.equal(p.hits, verdicts.filter((v) => v.score === 1).length);
    assert.equal(p.shown, 10);
    const current = session.allLabels;
    assert.equal(p.positives, current.filter((l) => l.score > 0).length);
    assert.equal(p.negatives, current.filter((l) => l.score < 0).length);
    assert.ok(p.churn !== null && p.churn >= 0 && p.churn <= 1);
  }
  assert.ok(tracker.rounds[0].churn! > 0, 'the first round moved the head from its examples');
  assert.match(
    formatProgress(tracker.rounds[2]),
    /^hits \d+ of 10, \d+ positive \/ \d+ negative so far, top-100 churn \d+%$/,
  );
});

test('settled: no new positive in 3 rounds and a stable top 100', async (t) => {
  const { session } = await setup(t, 1e-9); // a head that barely moves: its top 100 stays put
  const tracker = new ProgressTracker();
  await tracker.start(session);
  const round = async (hits: number) => {
    const batch = await session.nextBatch(5, 'top');
    const verdicts = batch.map((c, i) => ({ id: c.id, score: i < hits ? 1 : -1 }));
    return tracker.after(session, (await session.submit(verdicts)).round, verdicts);
  };
  assert.equal((await round(0)).settled, false);
  assert.equal((await round(1)).settled, false);
  assert.equal((await round(0)).settled, false, 'a positive 2 rounds ago');
  assert.equal((await round(0)).settled, false, 'a positive 3 rounds ago is within the last 3');
  const settled = await round(0);
  assert.equal(settled.churn, 0);
  assert.equal(settled.settled, true);
  assert.match(formatProgress(settled), /the head has settled: try boundary, or evaluate and stop\./);
});
