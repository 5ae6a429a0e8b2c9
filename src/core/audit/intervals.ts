import { averagePrecision } from '../eval/metrics';
import { mixSeed, seededRandom } from '../util/random';

/** A point estimate with a confidence interval (95% unless said otherwise); NaN everywhere when undefined. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
  /** The successes and the trials it rests on (for a proportion), so a reader sees how thin it is. */
  successes?: number;
  trials?: number;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson's score interval for a binomial proportion. Chosen over the textbook (Wald) interval because audit samples
 * are small and classes rare: Wald collapses to [0, 0] at zero successes and leaves [0, 1]; Wilson stays inside
 * [0, 1] and keeps close to its nominal coverage down to a handful of trials (Brown, Cai and DasGupta, 2001).
 */
export function wilson(successes: number, trials: number, z = Z95): Estimate {
  if (trials === 0) return { value: NaN, low: NaN, high: NaN, successes, trials };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // Clamped at the ends: at 0 or n successes the formula lands on 0 or 1 up to rounding.
  return {
    value: p,
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === trials ? 1 : Math.min(1, centre + half),
    successes,
    trials,
  };
}

/**
 * AP on a sample with Boyd, Eng and Page's logit interval (ECML PKDD 2013, "Area under the precision-recall curve:
 * point estimates and confidence intervals"): normal on the logit scale with standard error 1/sqrt(n·AP·(1-AP)),
 * n the positives. They found it kept its coverage at small sample sizes where the bootstrap did not. At AP 0 or 1,
 * where the logit is infinite, Wilson's interval for AP·n of n is used instead.
 */
export function averagePrecisionLogitInterval(scores: readonly number[], truth: readonly boolean[], z = Z95): Estimate {
  const value = averagePrecision(scores, truth);
  if (Number.isNaN(value)) return { value, low: NaN, high: NaN };
  const n = truth.filter(Boolean).length;
  if (value <= 0 || value >= 1)
    return { ...wilson(Math.round(value * n), n, z), value, successes: undefined, trials: undefined };
  const eta = Math.log(value / (1 - value));
  const tau = 1 / Math.sqrt(n * value * (1 - value));
  const back = (x: number) => 1 / (1 + Math.exp(-x));
  return { value, low: back(eta - z * tau), high: back(eta + z * tau) };
}

/**
 * AP on a sample with a percentile bootstrap interval: AP has no closed-form interval, and resampling the audit
 * records is what a second audit sample of the same size would look like. Seeded, so a report is reproducible.
 * Resamples without a positive have no AP and are left out (their share is small unless positives are very few).
 */
export function averagePrecisionWithInterval(
  scores: readonly number[],
  truth: readonly boolean[],
  resamples = 1000,
  seed = 1,
): Estimate {
  const value = averagePrecision(scores, truth);
  if (Number.isNaN(value)) return { value, low: NaN, high: NaN };
  const random = seededRandom(mixSeed(seed, 0xa9));
  const n = scores.length;
  const aps: number[] = [];
  const s = new Array<number>(n);
  const t = new Array<boolean>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * n);
      s[i] = scores[j];
      t[i] = truth[j];
    }
    const ap = averagePrecision(s, t);
    if (!Number.isNaN(ap)) aps.push(ap);
  }
  aps.sort((a, b) => a - b);
  const at = (q: number) => aps[Math.min(aps.length - 1, Math.max(0, Math.floor(q * aps.length)))];
  return { value, low: at(0.025), high: at(0.975) };
}
