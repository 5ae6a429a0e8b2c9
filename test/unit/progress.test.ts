import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { auditFileOf, writeAudit } from '../../src/core/audit/audit-file';
import { drawAuditSample } from '../../src/core/audit/draw';
import { hideAuditFromBatches } from '../../src/core/audit/hide-from-batches';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { cohenKappa } from '../../src/core/tune/stop-rule';
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

test("the stop rule on the head's audit sample: kappa per round, firing after 3 stable rounds; none without a sample", async (t) => {
  const { session, positive } = await setup(t);
  const without = new ProgressTracker();
  await without.start(session);
  const roundOf = async (tracker: ProgressTracker) => {
    const batch = await session.nextBatch(10, 'top');
    const verdicts = batch.map((c) => ({ id: c.id, score: positive.has(c.id) ? 1 : -1 }));
    return tracker.after(session, (await session.submit(verdicts)).round, verdicts);
  };
  const plain = await roundOf(without);
  assert.equal(plain.stopKappa, undefined, 'no audit sample, no stop set');
  assert.doesNotMatch(formatProgress(plain), /kappa|stop rule/);

  const sample = await drawAuditSample(session.store, 200, 4);
  await writeAudit(auditFileOf(session.paths.dir), sample);
  await hideAuditFromBatches(session);
  const vectors = new Map((await session.store.fetch(sample.items.map((i) => i.id))).map((r) => [r.id, r.vector]));
  const decisions = () => sample.items.map((i) => session.head.logit(vectors.get(i.id)!) > 0);
  const tracker = new ProgressTracker();
  await tracker.start(session);
  let before = decisions();
  for (let i = 0; i < 8; i++) {
    const p = await roundOf(tracker);
    const now = decisions();
    // The kappa the tracker reports is the one of the decisions before and after the round, computed here apart.
    assert.ok(Math.abs(p.stopKappa! - cohenKappa(before, now)) < 1e-12, `round ${i + 1}`);
    assert.equal(p.stopSetSize, 200);
    before = now;
  }
  const kappas = tracker.rounds.map((r) => r.stopKappa!);
  const firstFired = tracker.rounds.findIndex((r) => r.stopFired);
  const streakEnd = kappas.findIndex((_, i) => i >= 2 && kappas.slice(i - 2, i + 1).every((k) => k > 0.99));
  assert.equal(firstFired, streakEnd, `fires at the third round in a row above 0.99 (kappas ${kappas.join(', ')})`);
  assert.ok(
    kappas.some((k) => k < 0.99),
    'a head still learning changes its decisions',
  );
  assert.match(formatProgress(tracker.rounds[0]), /audit-sample kappa [01]\.\d{3} \([0-3] of 3 rounds above 0\.99\)/);
});

test('the stop rule fires on the third round in a row whose decisions on the audit sample held', async (t) => {
  const { session } = await setup(t, 1e-9); // a head that barely moves: its decisions hold
  await writeAudit(auditFileOf(session.paths.dir), await drawAuditSample(session.store, 100, 2));
  await hideAuditFromBatches(session);
  const tracker = new ProgressTracker();
  await tracker.start(session);
  const fired: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    const batch = await session.nextBatch(5, 'top');
    const verdicts = batch.map((c) => ({ id: c.id, score: -1 }));
    const p = await tracker.after(session, (await session.submit(verdicts)).round, verdicts);
    assert.equal(p.stopKappa, 1);
    fired.push(p.stopFired!);
  }
  assert.deepEqual(fired, [false, false, true, true]);
  assert.match(formatProgress(tracker.rounds[2]), /stop rule fired: .*\(kappa > 0\.99\) for 3 rounds/);
  assert.match(formatProgress(tracker.rounds[1]), /audit-sample kappa 1\.000 \(2 of 3 rounds above 0\.99\)/);
});
