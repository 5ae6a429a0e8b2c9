import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { calibratedProbability, fitCalibration, weightsFingerprint } from '../../src/core/calibration/calibration';
import { fitIsotonic, isotonicProbability } from '../../src/core/calibration/isotonic';
import { fitPlatt, plattProbability } from '../../src/core/calibration/platt';
import { VectorTuneError } from '../../src/core/errors';
import { currentCalibration, readWeights, writeWeights } from '../../src/core/head/weights-file';
import { seededRandom } from '../../src/core/util/random';
import { tempDir } from '../helpers/temp';

/** Logits drawn so that the true P(positive | logit) is sigmoid(2·logit - 1): Platt should find a ≈ 2, c ≈ -1. */
function sample(n: number, seed: number) {
  const r = seededRandom(seed);
  const logits: number[] = [];
  const positive: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const x = (r() - 0.5) * 8;
    logits.push(x);
    positive.push(r() < 1 / (1 + Math.exp(-(2 * x - 1))));
  }
  return { logits, positive };
}

test('Platt scaling recovers the slope and offset of a known logistic relation', () => {
  const { logits, positive } = sample(4000, 1);
  const fit = fitPlatt(logits, positive);
  assert.ok(Math.abs(fit.a - 2) < 0.25 && Math.abs(fit.c + 1) < 0.2, JSON.stringify(fit));
  assert.ok(Math.abs(plattProbability(fit, 0.5) - 0.5) < 0.05);
});

test('Platt scaling stays finite on a separable sample (smoothed targets)', () => {
  const fit = fitPlatt([-3, -2, -1, 1, 2, 3], [false, false, false, true, true, true]);
  assert.ok(Number.isFinite(fit.a) && Number.isFinite(fit.c) && fit.a > 0, JSON.stringify(fit));
  assert.ok(plattProbability(fit, 3) < 1 && plattProbability(fit, -3) > 0);
});

test('isotonic calibration is non-decreasing, pools violators, and keeps ties together', () => {
  const fit = fitIsotonic([1, 2, 3, 4, 5, 5], [false, true, false, true, true, false]);
  for (let i = 1; i < fit.probabilities.length; i++) assert.ok(fit.probabilities[i] >= fit.probabilities[i - 1]);
  assert.equal(isotonicProbability(fit, 1), 0);
  assert.equal(isotonicProbability(fit, 2.5), 0.5, '2 and 3 (one of each) pool into 0.5');
  assert.equal(isotonicProbability(fit, 5), 2 / 3, 'the tied 5s and the 4 pool: 2 of 3');
  assert.equal(isotonicProbability(fit, 100), 2 / 3);
});

test('fitCalibration: Platt on small samples, isotonic on large ones, thresholds by target precision/recall/F1', () => {
  const weights = { w: [1, 0], b: 0 };
  const small = sample(200, 2);
  const file = 'audit.jsonl';
  const p = fitCalibration(weights, small.logits, small.positive, {
    method: 'auto',
    rule: 'target-precision',
    target: 0.9,
    file,
  });
  assert.equal(p.method, 'platt');
  assert.ok(p.threshold.precision >= 0.9);
  const above = small.logits.map((x, i) => [x, small.positive[i]] as const).filter(([x]) => x > p.threshold.logit);
  assert.equal(
    above.filter(([, y]) => y).length / above.length,
    p.threshold.precision,
    'the stored precision is the audit one',
  );
  assert.equal(p.threshold.probability, calibratedProbability(p, p.threshold.logit));
  const r = fitCalibration(weights, small.logits, small.positive, {
    method: 'auto',
    rule: 'target-recall',
    target: 0.95,
    file,
  });
  assert.ok(r.threshold.recall >= 0.95 && r.threshold.logit < p.threshold.logit);
  const large = sample(1000, 3);
  const iso = fitCalibration(weights, large.logits, large.positive, { method: 'auto', rule: 'best-f1', file });
  assert.equal(iso.method, 'isotonic');
  assert.equal(iso.threshold.target, undefined);
  assert.throws(
    () => fitCalibration(weights, [1, 2], [true, true], { method: 'auto', rule: 'best-f1', file }),
    (e: VectorTuneError) => /2 positive and 0 negative/.test(e.message),
  );
  assert.throws(
    () =>
      fitCalibration(weights, [1, 2, 3], [true, false, false], {
        method: 'platt',
        rule: 'target-precision',
        target: 0.9,
        file,
      }),
    (e: VectorTuneError) => /no threshold reaches a precision of 0.9/.test(e.message),
  );
});

test('a calibrated head is written as format 2; once it trains on, the stale calibration is dropped (format 1)', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'classifier.weights.json');
  const base = {
    format: 'vector-tune-head' as const,
    version: 1,
    name: 'h',
    model: { id: 'm', dimension: 2 },
    preprocessing: { centre: null, normalise: 'l2' as const },
    w: [1, 0],
    b: 0,
    training: {
      learningRate: 0.5,
      stepsPerBatch: 40,
      batchSize: 8,
      l2: 0,
      seed: 1,
      loss: 'bce-with-logits' as const,
      target: '(score + 1) / 2' as const,
    },
    start: { kind: 'prompt' as const, prompt: 'x', w: [1, 0], b: 0 },
    labels: { file: 'labels.jsonl', count: 0, rounds: 0, sha256: '' },
    createdAt: '',
    updatedAt: '',
  };
  const s = sample(200, 4);
  const calibration = fitCalibration(base, s.logits, s.positive, {
    method: 'platt',
    rule: 'best-f1',
    file: 'audit.jsonl',
  });
  assert.equal(calibration.weightsSha256, weightsFingerprint(base));
  await writeWeights(file, { ...base, calibration });
  const read = await readWeights(file);
  assert.equal(read.version, 2);
  assert.deepEqual(currentCalibration(read), calibration);
  // Trained on: w changed. Writing keeps the old format and drops what no longer describes the head.
  await writeWeights(file, { ...read, w: [0.9, 0.1] });
  const after = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  assert.equal(after.version, 1);
  assert.equal(after.calibration, undefined);
  // A stale calibration in a file (edited by hand) is read but not applied.
  await fs.writeFile(file, JSON.stringify({ ...after, version: 2, calibration }));
  assert.equal(currentCalibration(await readWeights(file)), null);
  // Damage in the new field is named.
  await fs.writeFile(file, JSON.stringify({ ...after, version: 2, calibration: { ...calibration, platt: undefined } }));
  await assert.rejects(readWeights(file), (e: VectorTuneError) => /"calibration.platt" is missing/.test(e.message));
});
