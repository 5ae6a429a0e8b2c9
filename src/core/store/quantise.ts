/**
 * Quantisation with provable error bounds, for the two approximate passes of the exact search (exact-search.ts).
 *
 * A row x is stored as s·q + (s/16)·f + r₂: s a float32 scale (max |x| / 127), q int8 codes in [-127, 127], f 4-bit
 * codes in [-8, 7] of the residual r = x − s·q, and r₂ what is left. The query w is split into t·p + ρ, p int16 in
 * [-M, M] with M as large as the kernel's int32 sums allow (queryRange). Then, exactly,
 *   x·w = s·t·(q·p) + (s·q)·ρ + r·w                                  (first pass: q·p for every row)
 *   x·w = s·t·(q·p + (f·p)/16) + (s·q + (s/16)·f)·ρ + r₂·w          (second pass: f·p for the rows the first keeps)
 * so by Cauchy–Schwarz
 *   |x·w − s·t·(q·p)| ≤ ‖s·q‖·‖ρ‖ + ‖r‖·‖w‖
 *   |x·w − s·t·(q·p + (f·p)/16)| ≤ (‖s·q‖ + ‖r‖ + ‖r₂‖)·‖ρ‖ + ‖r₂‖·‖w‖      (since (s/16)·f = r − r₂).
 * The norms are stored per row, rounded up. With M in the tens of thousands the ρ terms are negligible, so the
 * bounds are about ‖r‖·‖w‖ and ‖r₂‖·‖w‖, and ‖r₂‖ is about a sixteenth of ‖r‖: the second pass separates rows that
 * the first cannot, such as the crowd near a trained head's decision boundary. Rows are quantised by the WebAssembly
 * kernel (quantiser.ts); r and r₂ are measured there in float64, where they are exact: s·q has at most 31 significant
 * bits, and x − s·q and r − (s/16)·f lie within a few bits of s's own precision.
 */

/** float32 rounds to nearest (relative error < 2^-24); this margin makes the stored copy of a bound never smaller. */
export function roundUpBound(x: number): number {
  return x * (1 + 2 ** -20) + 1e-30;
}

/**
 * The largest |p| of a query's int16 codes for rows of `stride` dimensions: the kernel sums up to `stride` products
 * of |q| ≤ 127 and |p| in int32 lanes, so 127·M·stride must stay below 2^31 (M = 32,767 up to 516 dimensions).
 */
export function queryRange(stride: number): number {
  return Math.min(32767, Math.floor((2 ** 31 - 1) / (127 * stride)));
}

export interface QuantisedQuery {
  /** p, int16, zero-padded to the rows' stride. */
  values: Int16Array;
  scale: number;
  /** ‖w − t·p‖, rounded up. */
  residualNorm: number;
  /** ‖w‖, rounded up. */
  norm: number;
}

export function quantiseQuery(w: Float32Array, stride: number): QuantisedQuery {
  const range = queryRange(stride);
  let maxAbs = 0;
  let ww = 0;
  for (let j = 0; j < w.length; j++) {
    maxAbs = Math.max(maxAbs, Math.abs(w[j]));
    ww += w[j] * w[j];
  }
  const scale = maxAbs / range;
  const values = new Int16Array(stride);
  let rr = 0;
  for (let j = 0; j < w.length; j++) {
    const p = scale === 0 ? 0 : Math.max(-range, Math.min(range, Math.round(w[j] / scale)));
    values[j] = p;
    const r = w[j] - scale * p;
    rr += r * r;
  }
  return { values, scale, residualNorm: roundUpBound(Math.sqrt(rr)), norm: roundUpBound(Math.sqrt(ww)) };
}
