import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { prCurve, rocCurve, scoreHistogram } from '../../src/core/eval/curves';
import { summariseRanking } from '../../src/core/eval/evaluate';
import { averagePrecision, rocAuc } from '../../src/core/eval/metrics';
import { niceTicks } from '../../src/core/eval/nice-scale';
import { bestF1Threshold, metricsAtThreshold } from '../../src/core/eval/threshold-metrics';

const close = (a: number, b: number, what = '') => assert.ok(Math.abs(a - b) < 1e-12, `${what} ${a} != ${b}`);

// Worked by hand. Tied groups, best first: 3 {+}, 2 {+ - -}, 1 {+}, 0 {- +}, -1 {-}. 4 positives, 4 negatives.
const SCORES = [3, 2, 2, 2, 1, 0, 0, -1];
const TRUTH = [true, true, false, false, true, false, true, false];

test('confusion matrix, precision, recall and F1 at logit 0 (strictly above is positive; a 0 logit is negative)', () => {
  const m = metricsAtThreshold(SCORES, TRUTH, 0);
  assert.deepEqual(m.confusion, { tp: 3, fp: 2, tn: 2, fn: 1 });
  close(m.precision, 3 / 5);
  close(m.recall, 3 / 4);
  close(m.f1, 6 / 9);
  // Nothing predicted positive: precision is undefined, not 0.
  const none = metricsAtThreshold(SCORES, TRUTH, 10);
  assert.ok(Number.isNaN(none.precision));
  assert.equal(none.recall, 0);
  assert.equal(none.f1, 0);
});

test('best F1 cuts only between tied groups and reports a threshold that reproduces its counts', () => {
  // Cumulative F1 after each group: 2/5, 4/8, 6/9, 8/11 (best: after the 0 group), 8/12.
  const best = bestF1Threshold(SCORES, TRUTH)!;
  close(best.f1, 8 / 11);
  assert.deepEqual(best.confusion, { tp: 4, fp: 3, tn: 1, fn: 0 });
  assert.equal(best.threshold, -0.5, 'midway between the last included group (0) and the next (-1)');
  assert.deepEqual(metricsAtThreshold(SCORES, TRUTH, best.threshold).confusion, best.confusion);

  // Equal F1 (2/3 after the first group and after the last): the higher threshold wins.
  const tie = bestF1Threshold([4, 3, 2, 1], [true, false, false, true])!;
  close(tie.f1, 2 / 3);
  assert.equal(tie.threshold, 3.5);

  // One tied group cannot be split: everything is predicted positive, the threshold sits below it.
  const tied = bestF1Threshold([1, 1, 1, 1], [true, false, false, false])!;
  assert.deepEqual(tied.confusion, { tp: 1, fp: 3, tn: 0, fn: 0 });
  assert.ok(tied.threshold < 1);

  // Adjacent doubles: the midpoint rounds onto the upper score, so the lower score is the threshold.
  const below = 1 - 2 ** -53;
  const adjacent = bestF1Threshold([1, below], [true, false])!;
  assert.deepEqual(adjacent.confusion, { tp: 1, fp: 0, tn: 1, fn: 0 });

  assert.equal(bestF1Threshold([1, 2], [false, false]), null);
});

test('the PR curve points are where recall steps up, and their step area is the average precision', () => {
  const pr = prCurve(SCORES, TRUTH);
  assert.deepEqual(
    pr.map((p) => [p.logit, p.recall]),
    [
      [3, 0.25],
      [2, 0.5],
      [1, 0.75],
      [0, 1],
    ],
  );
  close(pr[1].precision, 2 / 4);
  close(pr[3].precision, 4 / 7);
  close(averagePrecision(SCORES, TRUTH), (1 + 2 / 4 + 3 / 5 + 4 / 7) / 4);
});

const ranking = fc
  .array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.boolean()), { minLength: 1, maxLength: 60 })
  .filter((rows) => rows.some(([, t]) => t) && rows.some(([, t]) => !t));

test('property: PR step area = AP, ROC trapezoid area = ROC-AUC, on random rankings full of ties', () => {
  fc.assert(
    fc.property(ranking, (rows) => {
      const scores = rows.map(([s]) => s);
      const truth = rows.map(([, t]) => t);
      const pr = prCurve(scores, truth);
      const area = pr.reduce((sum, p, k) => sum + (p.recall - (k > 0 ? pr[k - 1].recall : 0)) * p.precision, 0);
      close(area, averagePrecision(scores, truth), 'PR area');
      const roc = rocCurve(scores, truth);
      assert.deepEqual(roc[0], { fpr: 0, tpr: 0 });
      assert.deepEqual(roc[roc.length - 1], { fpr: 1, tpr: 1 });
      let auc = 0;
      for (let k = 1; k < roc.length; k++) auc += ((roc[k].fpr - roc[k - 1].fpr) * (roc[k].tpr + roc[k - 1].tpr)) / 2;
      assert.ok(Math.abs(auc - rocAuc(scores, truth)) < 1e-9, `ROC area ${auc} vs ${rocAuc(scores, truth)}`);
    }),
    { numRuns: 300, seed: 4 },
  );
});

test('property: the best-F1 threshold beats every other cut and reproduces its own counts', () => {
  fc.assert(
    fc.property(ranking, (rows) => {
      const scores = rows.map(([s]) => s);
      const truth = rows.map(([, t]) => t);
      const best = bestF1Threshold(scores, truth)!;
      assert.deepEqual(metricsAtThreshold(scores, truth, best.threshold).confusion, best.confusion);
      for (const t of [...new Set(scores)].map((s) => s - 0.5)) {
        const other = metricsAtThreshold(scores, truth, t);
        assert.ok(other.f1 <= best.f1 + 1e-12, `cut at ${t}: F1 ${other.f1} > best ${best.f1}`);
        const predicted = (m: typeof best) => m.confusion.tp + m.confusion.fp;
        if (other.f1 === best.f1)
          assert.ok(
            predicted(other) >= predicted(best),
            'equal F1: the cut with fewer predicted positives is reported',
          );
      }
    }),
    { numRuns: 300, seed: 7 },
  );
});

test('histogram bins: nice edges, edge values go to the bin above, the maximum to the last bin', () => {
  const h = scoreHistogram([-1, -0.5, 0, 0.3, 1], [true, false, undefined, true, false], 4);
  assert.deepEqual(h.edges, [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(h.all, [1, 1, 2, 1]);
  assert.deepEqual(h.positives, [1, 0, 1, 0]);
  assert.deepEqual(h.negatives, [0, 1, 0, 1], 'the unanswered 0 counts only in all');

  // 0.3 is exactly an edge; (0.3 - 0) / 0.1 = 2.9999999999999996 would put it in the bin below.
  const edge = scoreHistogram([0, 0.3, 0.4], null, 4);
  assert.deepEqual(edge.edges, [0, 0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(edge.all, [1, 0, 0, 2]);
  assert.equal(edge.positives, null);

  const same = scoreHistogram([2, 2, 2], null);
  assert.deepEqual(same.edges, [1, 2, 3]);
  assert.deepEqual(same.all, [0, 3]);
  assert.deepEqual(scoreHistogram([], null).all, []);

  fc.assert(
    fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 200 }), (scores) => {
      const hist = scoreHistogram(scores, null);
      assert.equal(
        hist.all.reduce((a, b) => a + b, 0),
        scores.length,
      );
      assert.ok(hist.edges[0] <= Math.min(...scores) && hist.edges[hist.edges.length - 1] >= Math.max(...scores));
    }),
    { numRuns: 200, seed: 3 },
  );
});

test('count axes tick at whole numbers', () => {
  assert.deepEqual(niceTicks(0, 12, 5), [0, 2.5, 5, 7.5, 10, 12.5]);
  assert.deepEqual(niceTicks(0, 12, 5, true), [0, 5, 10, 15]);
  assert.deepEqual(niceTicks(0, 2, 5, true), [0, 1, 2]);
});

test('summariseRanking lists false positives most confident first and false negatives least confident first', () => {
  const ranked = SCORES.map((logit, i) => ({ id: `r${i}`, logit })).concat([{ id: 'unknown', logit: -2 }]);
  const truthOf = new Map(ranked.slice(0, 8).map((r, i) => [r.id, TRUTH[i]]));
  const s = summariseRanking(ranked, { of: (r) => truthOf.get(r.id) }, 5);
  assert.equal(s.unanswered, 1);
  assert.equal(s.metrics!.n, 8);
  assert.equal(s.metrics!.baseRate, 0.5);
  assert.deepEqual(
    s.figures.falsePositives.map((r) => r.id),
    ['r2', 'r3'],
  );
  assert.deepEqual(
    s.figures.falseNegatives.map((r) => r.id),
    ['r6'],
    'logit exactly 0 is predicted negative',
  );
  assert.deepEqual(
    s.figures.top.map((r) => r.positive),
    [true, true, false, false, true],
  );
  assert.equal(
    s.figures.histogram.all.reduce((a, b) => a + b, 0),
    9,
    'the histogram of all holds the unanswered record',
  );
  assert.equal(
    s.figures.histogram.positives!.reduce((a, b) => a + b, 0),
    4,
  );

  const blind = summariseRanking(ranked, null, 3);
  assert.equal(blind.metrics, null);
  assert.deepEqual(
    blind.figures.top.map((r) => r.id),
    ['r0', 'r1', 'r2'],
  );
  assert.equal(blind.figures.top[0].positive, undefined);
});
