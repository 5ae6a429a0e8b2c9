import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { averagePrecision, rocAuc } from '../../src/core/eval/metrics';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('average precision and ROC-AUC match hand-computed values', () => {
  // Ranked: 0.8(+) 0.4(-) 0.35(+) 0.1(-): AP = (1/1 + 2/3) / 2, AUC = 3 of 4 pairs ordered.
  const scores = [0.1, 0.4, 0.35, 0.8];
  const truth = [false, false, true, true];
  close(averagePrecision(scores, truth), (1 + 2 / 3) / 2);
  close(rocAuc(scores, truth), 0.75);
});

test('perfect, reversed and tied rankings', () => {
  close(averagePrecision([3, 2, 1], [true, true, false]), 1);
  close(rocAuc([3, 2, 1], [true, true, false]), 1);
  close(rocAuc([1, 2, 3], [true, true, false]), 0);
  // All tied: precision is the base rate whatever the order.
  close(averagePrecision([5, 5, 5, 5], [true, false, false, false]), 0.25);
  close(rocAuc([5, 5, 5, 5], [true, false, false, false]), 0.5);
  assert.ok(Number.isNaN(averagePrecision([1, 2], [false, false])));
});
