import { countTrue, tiedGroupsDescending } from './metrics';
import { niceTicks } from './nice-scale';

/**
 * The curves and the score histogram of a report, computed from the same tied groups as the metrics, so the
 * area under the drawn PR steps is exactly the reported average precision.
 */

/** A point of the precision-recall curve: every record scoring at least `logit` is predicted positive. */
export interface PrPoint {
  logit: number;
  recall: number;
  precision: number;
}

/** A corner of the ROC curve (false and true positive rates), starting at (0, 0). */
export interface RocPoint {
  fpr: number;
  tpr: number;
}

/**
 * One point per tied group that holds a positive (where recall steps up). Average precision is
 * sum((recall_k - recall_{k-1}) * precision_k) over exactly these points.
 */
export function prCurve(scores: ArrayLike<number>, truth: ArrayLike<boolean>): PrPoint[] {
  const positives = countTrue(truth);
  if (positives === 0) return [];
  const points: PrPoint[] = [];
  let tp = 0;
  let seen = 0;
  for (const group of tiedGroupsDescending(scores)) {
    const groupPositives = group.filter((i) => truth[i]).length;
    tp += groupPositives;
    seen += group.length;
    if (groupPositives > 0) points.push({ logit: scores[group[0]], recall: tp / positives, precision: tp / seen });
  }
  return points;
}

/** The ROC curve's corners only: points on a straight run (a run of only negatives or only positives) are dropped. */
export function rocCurve(scores: ArrayLike<number>, truth: ArrayLike<boolean>): RocPoint[] {
  const positives = countTrue(truth);
  const negatives = truth.length - positives;
  if (positives === 0 || negatives === 0) return [];
  // Integer counts, so the collinearity test is exact.
  const corners: [number, number][] = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (const group of tiedGroupsDescending(scores)) {
    for (const i of group) {
      if (truth[i]) tp++;
      else fp++;
    }
    const [fp1, tp1] = corners[corners.length - 1];
    const [fp0, tp0] = corners.length > 1 ? corners[corners.length - 2] : [NaN, NaN];
    const collinear = (fp1 - fp0) * (tp - tp1) === (tp1 - tp0) * (fp - fp1);
    if (collinear) corners[corners.length - 1] = [fp, tp];
    else corners.push([fp, tp]);
  }
  return corners.map(([f, t]) => ({ fpr: f / negatives, tpr: t / positives }));
}

/**
 * Bin `i` counts logits in [edges[i], edges[i+1]) (the last bin also holds its upper edge). With truth, the
 * positives and negatives are counted apart; records without an answer count only in `all`.
 */
export interface ScoreHistogram {
  edges: number[];
  all: number[];
  positives: number[] | null;
  negatives: number[] | null;
}

export function scoreHistogram(
  scores: ArrayLike<number>,
  truth: ArrayLike<boolean | undefined> | null,
  targetBins = 24,
): ScoreHistogram {
  const edges = histogramEdges(scores, targetBins);
  const bins = Math.max(0, edges.length - 1);
  const zeros = () => new Array<number>(bins).fill(0);
  const result: ScoreHistogram = {
    edges,
    all: zeros(),
    positives: truth ? zeros() : null,
    negatives: truth ? zeros() : null,
  };
  for (let i = 0; i < scores.length; i++) {
    const bin = binOf(edges, scores[i]);
    result.all[bin]++;
    const t = truth?.[i];
    if (t === true) result.positives![bin]++;
    else if (t === false) result.negatives![bin]++;
  }
  return result;
}

function histogramEdges(scores: ArrayLike<number>, targetBins: number): number[] {
  if (scores.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    lo = Math.min(lo, scores[i]);
    hi = Math.max(hi, scores[i]);
  }
  // Every score equal: one bin of nice width around it, so the chart still has an axis.
  if (lo === hi) return niceTicks(lo - 0.5, hi + 0.5, 1);
  return niceTicks(lo, hi, targetBins);
}

/** Binary search on the edges themselves (not (x - lo) / step, whose rounding can put an edge value in the bin below). */
function binOf(edges: number[], x: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (x >= edges[mid]) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
