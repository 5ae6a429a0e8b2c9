/**
 * Isotonic calibration: the non-decreasing step function of the logit that best fits the 0/1 labels (pool
 * adjacent violators). It assumes nothing about the shape, so it needs more data than Platt's two parameters
 * (Niculescu-Mizil and Caruana, 2005, found it overfits below about a thousand records; calibration.ts uses it
 * only on large audit samples). Stored as knots: `logits` ascending, each with its probability; between knots
 * the probability is interpolated linearly, beyond them held at the end values.
 */
export interface IsotonicFit {
  logits: number[];
  probabilities: number[];
}

export function fitIsotonic(logits: readonly number[], positive: readonly boolean[]): IsotonicFit {
  const order = logits.map((_, i) => i).sort((x, y) => logits[x] - logits[y]);
  // Blocks of (sum of labels, count, min logit, max logit), merged while a block's mean exceeds the next one's.
  const blocks: { sum: number; n: number; lo: number; hi: number }[] = [];
  for (const i of order) {
    blocks.push({ sum: positive[i] ? 1 : 0, n: 1, lo: logits[i], hi: logits[i] });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1];
      const a = blocks[blocks.length - 2];
      // Equal logits must share one value (no function of the logit can split them), so ties merge too.
      if (a.sum / a.n < b.sum / b.n && a.hi !== b.lo) break;
      blocks.splice(blocks.length - 2, 2, { sum: a.sum + b.sum, n: a.n + b.n, lo: a.lo, hi: b.hi });
    }
  }
  const fit: IsotonicFit = { logits: [], probabilities: [] };
  for (const b of blocks) {
    const p = b.sum / b.n;
    fit.logits.push(b.lo);
    fit.probabilities.push(p);
    if (b.hi !== b.lo) {
      fit.logits.push(b.hi);
      fit.probabilities.push(p);
    }
  }
  return fit;
}

export function isotonicProbability(fit: IsotonicFit, logit: number): number {
  const { logits: xs, probabilities: ps } = fit;
  if (logit <= xs[0]) return ps[0];
  if (logit >= xs[xs.length - 1]) return ps[ps.length - 1];
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= logit) lo = mid;
    else hi = mid;
  }
  const span = xs[hi] - xs[lo];
  return span > 0 ? ps[lo] + ((ps[hi] - ps[lo]) * (logit - xs[lo])) / span : ps[hi];
}
