import type { CurvePoint, FullSupervision, Method } from './run';

/** Fractions of the full-supervision AP whose label cost the benchmark reports. */
export const TARGETS = [0.9, 0.95] as const;

export interface Spread {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...values), max: Math.max(...values) };
}

/** Mean and min-max of AP at each label count, over seeds (every seed's curve has the same label counts). */
export interface BandPoint extends Spread {
  labels: number;
  positives: number;
}

export function band(curves: CurvePoint[][]): BandPoint[] {
  const length = Math.min(...curves.map((c) => c.length));
  return Array.from({ length }, (_, i) => ({
    labels: curves[0][i].labels,
    positives: spread(curves.map((c) => c[i].positives)).mean,
    ...spread(curves.map((c) => c[i].ap)),
  }));
}

/**
 * Labels at the first point from which AP stays at or above `level` for `hold` consecutive rounds (fewer
 * where the run ends first), or null when that never happens within the budget. A single lucky round on a
 * noisy curve does not count: a user stopping there would not keep that AP.
 */
export const HOLD_ROUNDS = 3;

export function labelsToReach(curve: CurvePoint[], level: number, budget: number, hold = HOLD_ROUNDS): number | null {
  const points = curve.filter((p) => p.labels <= budget);
  for (let i = 0; i < points.length; i++) {
    if (points.slice(i, i + hold).every((p) => p.ap >= level)) return points[i].labels;
  }
  return null;
}

export interface Reach {
  /** Fraction of the reference AP. */
  fraction: number;
  /** Per seed: labels needed, or null (not within the budget). */
  perSeed: (number | null)[];
  reached: number;
  /** Mean over the seeds that reached it (null if none did). */
  meanReached: number | null;
  /** Mean with unreached seeds counted at the budget: a lower bound on the true mean when any are censored. */
  meanCensored: number;
}

export function reach(curves: CurvePoint[][], reference: number, fraction: number, budget: number): Reach {
  const perSeed = curves.map((c) => labelsToReach(c, fraction * reference, budget));
  const hits = perSeed.filter((v): v is number => v !== null);
  return {
    fraction,
    perSeed,
    reached: hits.length,
    meanReached: hits.length > 0 ? spread(hits).mean : null,
    meanCensored: spread(perSeed.map((v) => v ?? budget)).mean,
  };
}

/**
 * Labels random sampling needs divided by labels the method needs, from the censored means. When random
 * missed the level on some seed its mean is a lower bound, so the ratio is too (">="); when the method
 * missed it on some seed the ratio is an upper bound ("<="); both: unknown.
 */
export interface Ratio {
  value: number | null;
  bound: '=' | '>=' | '<=' | '?';
}

export function ratioAgainstRandom(method: Reach, random: Reach): Ratio {
  const methodCensored = method.reached < method.perSeed.length;
  const randomCensored = random.reached < random.perSeed.length;
  if (methodCensored && randomCensored) return { value: null, bound: '?' };
  const value = random.meanCensored / method.meanCensored;
  return { value, bound: randomCensored ? '>=' : methodCensored ? '<=' : '=' };
}

export interface MethodSummary {
  method: Method;
  budget: number;
  reach: Reach[];
  ratio: (Ratio | null)[];
  /** AP at the method's budget (the last point at or under it), over seeds. */
  finalAp: Spread;
  /** AP at the strategies' budget, for random too (its own budget may be longer). */
  apAtCommonBudget: Spread;
  positivesAtCommonBudget: number;
  band: BandPoint[];
}

export function summarise(
  method: Method,
  curves: CurvePoint[][],
  reference: number,
  budget: number,
  commonBudget: number,
  random?: Reach[],
): MethodSummary {
  const reaches = TARGETS.map((f) => reach(curves, reference, f, budget));
  const at = (limit: number) => curves.map((c) => [...c].reverse().find((p) => p.labels <= limit)!);
  return {
    method,
    budget,
    reach: reaches,
    ratio: reaches.map((r, i) => (random ? ratioAgainstRandom(r, random[i]) : null)),
    finalAp: spread(at(budget).map((p) => p.ap)),
    apAtCommonBudget: spread(at(commonBudget).map((p) => p.ap)),
    positivesAtCommonBudget: spread(at(commonBudget).map((p) => p.positives)).mean,
    band: band(curves),
  };
}

/** One task's measurements over every seed and method, as the tables, charts and results.json hold them. */
export interface TaskResult {
  task: string;
  description: string;
  baseRate: number;
  seeds: number[];
  full: FullSupervision;
  startAp: Spread;
  commonBudget: number;
  summaries: MethodSummary[];
  curves: Record<Method, CurvePoint[][]>;
}
