import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatAudit, parseAudit, readAudit, scoreAudit, writeAudit } from '../../src/core/audit/audit-file';
import { auditHead } from '../../src/core/audit/audit-head';
import { drawAuditSample } from '../../src/core/audit/draw';
import { auditEstimates } from '../../src/core/audit/estimates';
import { averagePrecisionLogitInterval, averagePrecisionWithInterval, wilson } from '../../src/core/audit/intervals';
import { bestF1, precisionAtRecall, recallAtPrecision } from '../../src/core/audit/operating-point';
import { VectorTuneError } from '../../src/core/errors';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { mixSeed, seededRandom } from '../../src/core/util/random';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';

test("Wilson's interval matches published values and stays inside [0, 1] at the ends", () => {
  // Brown, Cai and DasGupta (2001) / any statistics table: 8 of 20 -> [0.2188, 0.6134]; 0 of 10 -> [0, 0.2775].
  const a = wilson(8, 20);
  assert.ok(Math.abs(a.low - 0.2188) < 1e-4 && Math.abs(a.high - 0.6134) < 1e-4, JSON.stringify(a));
  const b = wilson(0, 10);
  assert.equal(b.low, 0);
  assert.ok(Math.abs(b.high - 0.2775) < 1e-4, JSON.stringify(b));
  assert.equal(wilson(10, 10).high, 1);
  assert.ok(Number.isNaN(wilson(0, 0).value));
});

test("Wilson's 95% interval covers the true rate about 95% of the time, even for a rare class", () => {
  const random = seededRandom(3);
  for (const [p, n] of [
    [0.04, 200],
    [0.3, 50],
  ]) {
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      let k = 0;
      for (let i = 0; i < n; i++) if (random() < p) k++;
      const e = wilson(k, n);
      if (e.low <= p && p <= e.high) covered++;
    }
    const rate = covered / trials;
    assert.ok(rate > 0.92 && rate < 0.99, `p=${p} n=${n}: coverage ${rate}`);
  }
});

test('operating points: recall at a precision, precision at a recall, best F1, on a hand-worked ranking', () => {
  // Best first: + + - + - - + - (4 positives of 8).
  const scores = [8, 7, 6, 5, 4, 3, 2, 1];
  const truth = [true, true, false, true, false, false, true, false];
  const p1 = recallAtPrecision(scores, truth, 0.75)!;
  assert.equal(p1.truePositives, 3, 'the top 4 hold 3 positives: precision 0.75, the most recall at 0.75');
  assert.ok(p1.threshold < 5 && p1.threshold > 4);
  assert.equal(recallAtPrecision(scores, truth, 1)!.truePositives, 2);
  const p2 = precisionAtRecall(scores, truth, 1)!;
  assert.equal(p2.predictedPositives, 7, 'every positive is in the top 7');
  const f = bestF1(scores, truth)!;
  assert.equal(f.predictedPositives, 4, 'F1 6/8 at the top 4 beats 8/11 at the top 7');
  // The threshold reproduces the counts with the strict rule logit > threshold.
  assert.equal(scores.filter((s) => s > f.threshold).length, f.predictedPositives);
});

test('audit estimates: prevalence, precision and recall at the threshold, collection and top-N counts', () => {
  const points = [
    ...Array.from({ length: 6 }, (_, i) => ({ id: `p${i}`, logit: i < 4 ? 2 : -1, positive: true })),
    ...Array.from({ length: 94 }, (_, i) => ({ id: `n${i}`, logit: i < 1 ? 1 : -2 - i / 100, positive: false })),
  ];
  const e = auditEstimates({
    points,
    unscored: 5,
    unsure: 1,
    trainedOn: 2,
    collectionSize: 10_000,
    threshold: 0,
    top: { n: 500, cutoff: 0.5 },
    atPrecision: 0.8,
  });
  assert.equal(e.prevalence.value, 0.06);
  assert.deepEqual([e.precision.successes, e.precision.trials], [4, 5]);
  assert.deepEqual([e.recall.successes, e.recall.trials], [4, 6]);
  assert.equal(Math.round(e.collectionPositives.value), 600);
  assert.ok(e.collectionPositives.low < 600 && e.collectionPositives.high > 600);
  assert.equal(e.top!.positivesCaught.value, 400, '4 of the 5 audit records in the top 500 are positive');
  assert.equal(e.top!.shareOfPositives.value, 4 / 6);
  // The two positives at logit -1 still outrank every other negative: the top 7 hold all 6 at precision 6/7.
  assert.equal(e.recallAtPrecision!.recall!.value, 1);
  assert.ok(e.recallAtPrecision!.threshold! < -1 && e.recallAtPrecision!.threshold! > -2);
  assert.ok(e.ap.low <= e.ap.value && e.ap.value <= e.ap.high);
});

test('the bootstrap AP interval is seeded (reproducible) and narrows as the sample grows', () => {
  const sample = (n: number, seed: number) => {
    const r = seededRandom(seed);
    const truth = Array.from({ length: n }, () => r() < 0.2);
    const scores = truth.map((t) => (t ? 1 : 0) + r() * 1.5);
    return { scores, truth };
  };
  const small = sample(100, 1);
  const a = averagePrecisionWithInterval(small.scores, small.truth);
  assert.deepEqual(a, averagePrecisionWithInterval(small.scores, small.truth));
  const large = sample(2000, 1);
  const b = averagePrecisionWithInterval(large.scores, large.truth);
  assert.ok(b.high - b.low < (a.high - a.low) / 2, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});

test('audit.jsonl: drawn uniformly with a seed (same seed, same sample), scored, read back; damage named', async (t) => {
  const dir = await tempDir(t);
  const D = 8;
  const store = await EmbeddedStore.openOrCreate(path.join(dir, 'store'), { modelId: 'm', dimension: D });
  const data = randomUnitVectors(300, D, 5);
  await store.upsert(
    Array.from({ length: 300 }, (_, i) => ({
      id: `img/${i}.jpg`,
      path: `img/${i}.jpg`,
      vector: data.slice(i * D, (i + 1) * D),
    })),
  );
  const a = await drawAuditSample(store, 40, 7);
  const b = await drawAuditSample(store, 40, 7);
  const c = await drawAuditSample(store, 40, 8);
  assert.deepEqual(
    a.items.map((i) => i.id),
    b.items.map((i) => i.id),
  );
  assert.notDeepEqual(
    a.items.map((i) => i.id),
    c.items.map((i) => i.id),
  );
  assert.equal(new Set(a.items.map((i) => i.id)).size, 40);
  assert.equal(a.draw.storeCount, 300);
  assert.equal(a.items[0].path, a.items[0].id);

  const file = path.join(dir, 'audit.jsonl');
  const scores = new Map([
    [a.items[0].id, 1],
    [a.items[1].id, -1],
    ['not/in/sample.jpg', 1],
  ]);
  const { sample, outside } = scoreAudit(a, scores);
  assert.deepEqual(outside, ['not/in/sample.jpg'], 'a record outside the sample is refused, not added');
  await writeAudit(file, sample);
  const back = await readAudit(file);
  assert.deepEqual(back, sample);
  assert.equal(await readAudit(path.join(dir, 'none.jsonl')), null);

  const text = formatAudit(sample);
  const broken = text.replace('"score":1', '"score":3');
  assert.throws(
    () => parseAudit(broken, file),
    (e: VectorTuneError) => /line 2 .*"score"/.test(e.message),
  );
  const short = text.split('\n').slice(0, 5).join('\n');
  assert.throws(
    () => parseAudit(short, file),
    (e: VectorTuneError) => /"size" is 40 but the file lists 4/.test(e.message),
  );
});

test("auditHead scores the sample with the head on the store's vectors and finds the top-N cutoff", async (t) => {
  const dir = await tempDir(t);
  const D = 8;
  const store = await EmbeddedStore.openOrCreate(path.join(dir, 'store'), { modelId: 'm', dimension: D });
  const n = 2000;
  const data = randomUnitVectors(n, D, mixSeed(9, 1));
  const recs = Array.from({ length: n }, (_, i) => ({ id: `r${i}`, vector: data.slice(i * D, (i + 1) * D) }));
  await store.upsert(recs);
  // The truth: first coordinate above 0.5 (about 8% of random unit vectors in 8-d); the head: w = e1, b = -0.5.
  const truth = new Set(recs.filter((r) => r.vector[0] > 0.5).map((r) => r.id));
  const w = Array.from({ length: D }, (_, i) => (i === 0 ? 1 : 0));
  const weights = { name: 'h', model: { id: 'm', dimension: D }, preprocessing: { centre: null }, w, b: -0.5 };
  const drawn = await drawAuditSample(store, 400, 3);
  const sample = scoreAudit(drawn, new Map(drawn.items.map((i) => [i.id, truth.has(i.id) ? 1 : -1]))).sample;
  const e = await auditHead(weights as never, store, sample, {
    topN: truth.size,
    trainedIds: new Set([drawn.items[0].id]),
  });
  assert.equal(e.scored, 400);
  assert.equal(e.trainedOn, 1);
  assert.equal(e.precision.value, 1, 'the head is the truth: everything above its threshold is positive');
  assert.equal(e.recall.value, 1);
  assert.ok(Math.abs(e.ap.value - 1) < 1e-12);
  assert.ok(e.collectionPositives.low <= truth.size && truth.size <= e.collectionPositives.high);
  assert.equal(e.top!.shareOfPositives.value, 1, 'the top N (N = the positives) holds every positive');
});

test("the logit AP interval (Boyd et al. 2013) is centred on the logit scale and falls back to Wilson's at AP 1", () => {
  // 4 positives of 8, AP = (1 + 1 + 3/4 + 4/7) / 4.
  const scores = [8, 7, 6, 5, 4, 3, 2, 1];
  const truth = [true, true, false, true, false, false, true, false];
  const e = averagePrecisionLogitInterval(scores, truth);
  const ap = (1 + 1 + 3 / 4 + 4 / 7) / 4;
  assert.ok(Math.abs(e.value - ap) < 1e-12);
  const logit = (p: number) => Math.log(p / (1 - p));
  const tau = 1 / Math.sqrt(4 * ap * (1 - ap));
  assert.ok(Math.abs(logit(e.high) - logit(ap) - 1.959963984540054 * tau) < 1e-9);
  assert.ok(Math.abs(logit(ap) - logit(e.low) - 1.959963984540054 * tau) < 1e-9);
  const perfect = averagePrecisionLogitInterval([3, 2, 1], [true, true, false]);
  assert.equal(perfect.value, 1);
  assert.equal(perfect.high, 1);
  assert.equal(perfect.low, wilson(2, 2).low);
});
