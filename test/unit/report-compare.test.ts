import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { checkThresholds, compareResults } from '../../src/core/eval/compare';
import { summariseRanking } from '../../src/core/eval/evaluate';
import { EvaluationResult, REPORT_FORMAT, REPORT_FORMAT_VERSION } from '../../src/core/eval/evaluation-result';
import { formatDelta } from '../../src/core/eval/report-markdown';

/** A result from a hand-made ranking (ids r0..), with the provenance a real evaluation records. */
function result(
  scores: number[],
  truth: boolean[] | null,
  over: { sha?: string; data?: string; head?: string } = {},
): EvaluationResult {
  const ranked = scores.map((logit, i) => ({ id: `r${i}`, logit })).sort((a, b) => b.logit - a.logit);
  const s = summariseRanking(ranked, truth ? { of: (r) => truth[Number(r.id.slice(1))] } : null, 5);
  return {
    format: REPORT_FORMAT,
    version: REPORT_FORMAT_VERSION,
    createdAt: '2025-01-01T00:00:00.000Z',
    tool: { name: 'vector-tune', reportFormatVersion: REPORT_FORMAT_VERSION },
    head: {
      name: over.head ?? 'hat',
      weightsSha256: over.sha ?? 'a'.repeat(64),
      labelsCount: 10,
      labelsRounds: 1,
      weightsUpdatedAt: '2025-01-01T00:00:00.000Z',
    },
    model: { id: 'm', dimension: 4 },
    data: {
      kind: 'folder',
      folder: over.data ?? 'held-out',
      description: `images in ${over.data ?? 'held-out'}/`,
      records: scores.length,
      skipped: [],
    },
    truth: truth
      ? { kind: 'folders', description: 'sub-folder "hat" of held-out/', positive: 'hat', unanswered: s.unanswered }
      : null,
    ...s.figures,
  };
}

// AP 1 (both positives on top) and AP (1/2 + 2/3) / 2 = 0.5833 (positives ranked 2nd and 3rd).
const TRUTH = [true, true, false, false];
const GOOD = result([4, 3, 2, 1], TRUTH, { sha: 'b'.repeat(64) });
const WORSE = result([2, 1, 3, 0], TRUTH, { sha: 'c'.repeat(64) });

test('each headline metric is compared with the previous report of the same head and data', () => {
  const { comparison, note } = compareResults(WORSE, GOOD);
  assert.equal(note, null);
  assert.equal(comparison!.previous.weightsSha256, 'b'.repeat(64));
  const ap = comparison!.changes.find((c) => c.key === 'averagePrecision')!;
  assert.equal(ap.previous, 1);
  assert.ok(Math.abs(ap.current! - 7 / 12) < 1e-12);
  assert.ok(Math.abs(ap.delta! - (7 / 12 - 1)) < 1e-12);
  const n = comparison!.changes.find((c) => c.key === 'n')!;
  assert.equal(n.delta, 0);
  assert.deepEqual(
    comparison!.changes.map((c) => c.key),
    [
      'averagePrecision',
      'rocAuc',
      'precision',
      'recall',
      'f1',
      'bestF1',
      'bestF1Threshold',
      'baseRate',
      'n',
      'positives',
    ],
  );

  assert.deepEqual(compareResults(WORSE, null), { comparison: null, note: null });
  const other = compareResults(result([1, 2, 3, 4], TRUTH, { data: 'elsewhere' }), GOOD);
  assert.equal(other.comparison, null);
  assert.match(other.note!, /not compared .* it was run on images in held-out\//);
  assert.match(compareResults(result([1, 2, 3, 4], TRUTH, { head: 'cap' }), GOOD).note!, /of head "hat"/);
});

test('deltas print signed, unchanged as ±0, missing as –', () => {
  const change = (delta: number | null) => ({
    key: 'averagePrecision' as const,
    label: '',
    previous: 0,
    current: 0,
    delta,
  });
  assert.equal(formatDelta({ integer: false }, change(0.01234)), '+0.0123');
  assert.equal(formatDelta({ integer: false }, change(-0.005)), '−0.0050');
  assert.equal(formatDelta({ integer: false }, change(1e-7)), '±0');
  assert.equal(formatDelta({ integer: true }, change(2)), '+2');
  assert.equal(formatDelta({ integer: false }, change(null)), '–');
  assert.equal(formatDelta({ integer: false }, undefined), '–');
});

test('gates: minimum AP and ROC-AUC, and the largest allowed AP drop against the previous report', () => {
  assert.deepEqual(checkThresholds(GOOD, null, { minAp: 0.99, minAuc: 1 }), []);
  const low = checkThresholds(WORSE, null, { minAp: 0.9, minAuc: 0.5 });
  assert.equal(low.length, 1);
  assert.equal(low[0].metric, 'averagePrecision');
  assert.equal(low[0].bound, 0.9);
  assert.match(low[0].message, /average precision 0\.5833 is below the minimum 0\.9/);
  assert.match(checkThresholds(WORSE, null, { minAuc: 0.9 })[0].message, /ROC-AUC 0\.5000 is below the minimum 0\.9/);

  const drop = checkThresholds(WORSE, GOOD, { maxDrop: 0.4 });
  assert.equal(drop.length, 1);
  assert.ok(Math.abs(drop[0].value! - 5 / 12) < 1e-12);
  assert.match(drop[0].message, /dropped by 0\.4167 \(from 1\.0000 to 0\.5833\), more than the allowed 0\.4/);
  assert.deepEqual(checkThresholds(WORSE, GOOD, { maxDrop: 0.42 }), []);
  assert.deepEqual(checkThresholds(GOOD, WORSE, { maxDrop: 0 }), [], 'a rise is no drop');
  assert.deepEqual(checkThresholds(GOOD, GOOD, { maxDrop: 0 }), [], 'the same AP passes a zero tolerance');
  assert.deepEqual(checkThresholds(WORSE, null, { maxDrop: 0 }), [], 'a first report has nothing to drop from');
  assert.deepEqual(
    checkThresholds(WORSE, result([4, 3, 2, 1], TRUTH, { data: 'x' }), { maxDrop: 0 }),
    [],
    'other data is not a baseline',
  );

  // Without truth nothing can be measured, and a gate that cannot measure fails rather than passing silently.
  const blind = result([4, 3, 2, 1], null);
  const failures = checkThresholds(blind, GOOD, { minAp: 0.1, minAuc: 0.1, maxDrop: 0.1 });
  assert.deepEqual(
    failures.map((f) => [f.metric, f.value]),
    [
      ['averagePrecision', null],
      ['rocAuc', null],
      ['averagePrecisionDrop', null],
    ],
  );
  assert.match(failures[0].message, /could not be measured \(no truth\)/);
});
