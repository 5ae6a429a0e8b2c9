import { countTrue, tiedGroupsDescending } from '../eval/metrics';

/**
 * Operating points on a labelled sample: which logit threshold to cut at. Only cuts between tied groups are
 * candidates (no threshold splits a tie), and the returned threshold lies halfway into the gap below the last
 * included group, so `logit > threshold` reproduces exactly the counts returned with it.
 */
export interface OperatingPoint {
  threshold: number;
  truePositives: number;
  predictedPositives: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Every cut, from the strictest (one group in) to the loosest (everything in). */
export function operatingPoints(scores: readonly number[], truth: readonly boolean[]): OperatingPoint[] {
  const positives = countTrue(truth);
  const groups = tiedGroupsDescending(scores);
  const points: OperatingPoint[] = [];
  let tp = 0;
  let predicted = 0;
  groups.forEach((group, g) => {
    for (const i of group) if (truth[i]) tp++;
    predicted += group.length;
    const here = scores[group[0]];
    const next = g + 1 < groups.length ? scores[groups[g + 1][0]] : here - 1;
    const precision = tp / predicted;
    const recall = positives > 0 ? tp / positives : NaN;
    points.push({
      threshold: (here + next) / 2,
      truePositives: tp,
      predictedPositives: predicted,
      precision,
      recall,
      f1: tp > 0 ? (2 * tp) / (predicted + positives) : 0,
    });
  });
  return points;
}

/** The loosest cut whose precision is still at least `target` (the most recall at that precision), or null. */
export function recallAtPrecision(
  scores: readonly number[],
  truth: readonly boolean[],
  target: number,
): OperatingPoint | null {
  const ok = operatingPoints(scores, truth).filter((p) => p.truePositives > 0 && p.precision >= target);
  return ok.length > 0 ? ok.reduce((best, p) => (p.recall > best.recall ? p : best)) : null;
}

/** The strictest cut whose recall reaches `target` (the most precision at that recall), or null. */
export function precisionAtRecall(
  scores: readonly number[],
  truth: readonly boolean[],
  target: number,
): OperatingPoint | null {
  return operatingPoints(scores, truth).find((p) => p.recall >= target) ?? null;
}

/** The cut with the highest F1 (the strictest on ties), or null without positives. */
export function bestF1(scores: readonly number[], truth: readonly boolean[]): OperatingPoint | null {
  const points = operatingPoints(scores, truth).filter((p) => p.truePositives > 0);
  return points.length > 0 ? points.reduce((best, p) => (p.f1 > best.f1 ? p : best)) : null;
}
