import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  bceWithLogits,
  DEFAULT_TRAINING,
  Example,
  LinearHead,
  scoreToTarget,
  sigmoid,
} from '../../src/core/head/linear-head';
import { VectorTuneError } from '../../src/core/errors';
import { mixSeed, seededRandom, shuffledIndices } from '../../src/core/util/random';
import { randomUnitVectors } from '../helpers/vectors';

function examplesFrom(data: Float32Array, rows: number, d: number, target: (x: Float32Array) => number): Example[] {
  return Array.from({ length: rows }, (_, r) => {
    const x = data.slice(r * d, (r + 1) * d);
    return { x, target: target(x) };
  });
}

test('score -1..+1 maps to target (s+1)/2, and out-of-range scores are refused', () => {
  assert.equal(scoreToTarget(-1), 0);
  assert.equal(scoreToTarget(0), 0.5);
  assert.equal(scoreToTarget(1), 1);
  assert.equal(scoreToTarget(0.5), 0.75);
  for (const bad of [1.01, -2, NaN, Infinity]) assert.throws(() => scoreToTarget(bad), VectorTuneError);
});

test('BCE with logits is stable for large logits and equals the textbook form for small ones', () => {
  for (const [z, t] of [
    [0.3, 1],
    [-1.2, 0],
    [2, 0.25],
    [0, 0.5],
  ]) {
    const p = sigmoid(z);
    const textbook = -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
    assert.ok(Math.abs(bceWithLogits(z, t) - textbook) < 1e-12, `z=${z} t=${t}`);
  }
  assert.ok(Math.abs(bceWithLogits(1000, 1)) < 1e-12);
  assert.equal(bceWithLogits(-1000, 1), 1000);
  assert.ok(Number.isFinite(bceWithLogits(-1e6, 0)));
});

test('analytic gradient matches central finite differences (w, b, with L2)', () => {
  const d = 12;
  const data = randomUnitVectors(9, d, 7);
  const examples = examplesFrom(data, 9, d, (x) => (x[0] > 0 ? 0.9 : 0.2));
  const head = LinearHead.fromStart(randomUnitVectors(1, d, 8), 0.3);
  const l2 = 0.05;
  const { gw, gb } = head.gradient(examples, l2);
  const h = 1e-6;
  for (let i = 0; i < d; i++) {
    const saved = head.w[i];
    head.w[i] = saved + h;
    const up = head.loss(examples, l2);
    head.w[i] = saved - h;
    const down = head.loss(examples, l2);
    head.w[i] = saved;
    assert.ok(Math.abs((up - down) / (2 * h) - gw[i]) < 1e-7, `dL/dw[${i}]`);
  }
  const b = head.b;
  head.b = b + h;
  const up = head.loss(examples, l2);
  head.b = b - h;
  const down = head.loss(examples, l2);
  head.b = b;
  assert.ok(Math.abs((up - down) / (2 * h) - gb) < 1e-7, 'dL/db');
});

test('SGD separates linearly separable data and lowers the loss', () => {
  const d = 16;
  const rows = 200;
  const truth = randomUnitVectors(1, d, 3);
  const data = randomUnitVectors(rows, d, 4);
  const examples = examplesFrom(data, rows, d, (x) => (x.reduce((s, v, i) => s + v * truth[i], 0) > 0.05 ? 1 : 0));
  const head = LinearHead.fromStart(new Float32Array(d), 0);
  const before = head.loss(examples, 0);
  let result = head.train(examples, { ...DEFAULT_TRAINING, l2: 0 }, 1);
  for (let round = 2; round <= 10; round++) result = head.train(examples, { ...DEFAULT_TRAINING, l2: 0 }, round);
  const correct = examples.filter((e) => (head.logit(e.x) > 0 ? 1 : 0) === e.target).length;
  assert.ok(result.loss < before / 2, `loss ${result.loss} vs ${before}`);
  assert.ok(correct / rows >= 0.97, `accuracy ${correct / rows}`);
});

test('training is reproducible from seed and round, and the seed matters', () => {
  const d = 8;
  const data = randomUnitVectors(40, d, 11);
  const examples = examplesFrom(data, 40, d, (x) => (x[1] > 0 ? 1 : 0));
  const run = (seed: number) => {
    const head = LinearHead.fromStart(new Float32Array(d), 0);
    head.train(examples, { ...DEFAULT_TRAINING, seed, stepsPerBatch: 3, batchSize: 4 }, 5);
    return Array.from(head.w);
  };
  assert.deepEqual(run(1), run(1));
  assert.notDeepEqual(run(1), run(2));
});

test('training on no examples leaves the head unchanged', () => {
  const head = LinearHead.fromStart([0.6, 0.8], 0.1);
  const result = head.train([], DEFAULT_TRAINING, 1);
  assert.deepEqual(Array.from(head.w), [0.6, 0.8]);
  assert.equal(result.moved, 0);
});

test('training gives bit for bit the weights of plain mini-batch SGD (every logit summed in index order)', () => {
  // The textbook loop the fast step must equal: committed heads are replayed from their labels and compared.
  const reference = (
    examples: Example[],
    w0: Float64Array,
    b0: number,
    settings: typeof DEFAULT_TRAINING,
    round: number,
  ) => {
    const w = Float64Array.from(w0);
    let b = b0;
    const random = seededRandom(mixSeed(settings.seed, round));
    for (let pass = 0; pass < settings.stepsPerBatch; pass++) {
      const order = shuffledIndices(examples.length, random);
      for (let start = 0; start < order.length; start += settings.batchSize) {
        const batch = order.slice(start, start + settings.batchSize).map((i) => examples[i]);
        const gw = new Float64Array(w.length);
        let gb = 0;
        for (const e of batch) {
          let z = b;
          for (let i = 0; i < w.length; i++) z += w[i] * e.x[i];
          const r = sigmoid(z) - e.target;
          for (let i = 0; i < w.length; i++) gw[i] += r * e.x[i];
          gb += r;
        }
        for (let i = 0; i < w.length; i++) w[i] -= settings.learningRate * (gw[i] / batch.length + settings.l2 * w[i]);
        b -= settings.learningRate * (gb / batch.length);
      }
    }
    return { w: Array.from(w), b };
  };
  const d = 37; // not a multiple of 4
  const data = randomUnitVectors(53, d, 5);
  const examples = examplesFrom(data, 53, d, (x) => (x[0] + x[3] > 0 ? 1 : x[2] > 0.2 ? 0.25 : 0));
  for (const batchSize of [16, 7, 4, 3, 1]) {
    const settings = { ...DEFAULT_TRAINING, stepsPerBatch: 5, batchSize };
    const start = Float64Array.from(data.subarray(0, d), (v) => v * 0.3);
    const head = LinearHead.fromStart(start, 0.2);
    head.train(examples, settings, 3);
    const want = reference(examples, start, 0.2, settings, 3);
    assert.deepEqual(Array.from(head.w), want.w, `batch size ${batchSize}: w`);
    assert.equal(head.b, want.b, `batch size ${batchSize}: b`);
  }
});
