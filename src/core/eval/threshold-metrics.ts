import { countTrue, tiedGroupsDescending } from './metrics';

/**
 * Metrics of a head used as a classifier: a record is predicted positive when its logit is strictly above the
 * threshold. Strict, because that is the committed head's own rule (`logit > 0`, the README's Python snippet),
 * and one rule for every threshold keeps the reported counts reproducible from the JSON alone.
 */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ThresholdMetrics {
  /** Records with `logit > threshold` are predicted positive. */
  threshold: number;
  confusion: Confusion;
  /** NaN when nothing is predicted positive. */
  precision: number;
  /** NaN when there are no positives. */
  recall: number;
  /** NaN when there are neither positives nor predicted positives. */
  f1: number;
}

export const DECISION_THRESHOLD = 0;

export function metricsAtThreshold(
  scores: ArrayLike<number>,
  truth: ArrayLike<boolean>,
  threshold: number,
): ThresholdMetrics {
  const confusion: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i] > threshold;
    if (truth[i]) {
      if (predicted) confusion.tp++;
      else confusion.fn++;
    } else {
      if (predicted) confusion.fp++;
      else confusion.tn++;
    }
  }
  const { tp, fp, fn } = confusion;
  return {
    threshold,
    confusion,
    precision: tp + fp > 0 ? tp / (tp + fp) : NaN,
    recall: tp + fn > 0 ? tp / (tp + fn) : NaN,
    f1: tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : NaN,
  };
}

/**
 * The threshold with the highest F1, or null without positives. Only cuts between tied groups are
 * candidates (a tie cannot be split by any threshold); on equal F1 the higher threshold wins (fewer records
 * to look at for the same F1). The threshold reported lies in the gap below the last included group, so
 * `logit > threshold` reproduces exactly the counts reported with it.
 */
export function bestF1Threshold(scores: ArrayLike<number>, truth: ArrayLike<boolean>): ThresholdMetrics | null {
  const positives = countTrue(truth);
  if (positives === 0) return null;
  const groups = tiedGroupsDescending(scores);
  let tp = 0;
  let fp = 0;
  let bestF1 = -1;
  let bestGroup = 0;
  groups.forEach((group, g) => {
    for (const i of group) {
      if (truth[i]) tp++;
      else fp++;
    }
    const f1 = (2 * tp) / (tp + fp + positives);
    if (f1 > bestF1) {
      bestF1 = f1;
      bestGroup = g;
    }
  });
  const included = scores[groups[bestGroup][0]];
  const next = groups[bestGroup + 1];
  return metricsAtThreshold(scores, truth, next ? cutBetween(included, scores[next[0]]) : belowAll(included));
}

/** Everything included: any threshold below the lowest score; one unit (or more, for huge logits) below it. */
function belowAll(lowest: number): number {
  return lowest - Math.max(1, Math.abs(lowest));
}

/** A threshold t with below <= t < above: the midpoint, unless rounding puts it on `above` (adjacent floats). */
function cutBetween(above: number, below: number): number {
  const mid = above / 2 + below / 2;
  return mid < above ? mid : below;
}
