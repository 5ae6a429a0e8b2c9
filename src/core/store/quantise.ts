/**
 * Int8 quantisation with a provable error bound, for the first pass of the exact search (exact-search.ts).
 *
 * A row x is stored as s·q + r: s a float32 scale, q int8 in [-127, 127], r the residual. The query w is split the
 * same way into t·p + ρ (p widened to int16 for the kernel). Then
 *   x·w = s·t·(q·p) + s·(q·ρ) + r·w,   so   |x·w − s·t·(q·p)| ≤ ‖s·q‖·‖ρ‖ + ‖r‖·‖w‖   (Cauchy–Schwarz),
 * and both norms on the right are stored per row, rounded up. The search keeps every row whose bound could reach
 * the top k and re-scores those exactly in float32, so its results equal the plain scan's.
 */

/** float32 rounds to nearest (relative error < 2^-24); this margin makes the stored copy of a bound never smaller. */
export function roundUpBound(x: number): number {
  return x * (1 + 2 ** -20) + 1e-30;
}

export interface RowQuantisation {
  scale: number;
  /** ‖s·q‖, rounded up. */
  quantisedNorm: number;
  /** ‖x − s·q‖, rounded up. */
  residualNorm: number;
}

/** Quantises `dimension` floats of `source` from `sourceOffset` into `target` at `targetOffset`. */
export function quantiseRow(
  source: Float32Array,
  sourceOffset: number,
  dimension: number,
  target: Int8Array,
  targetOffset: number,
): RowQuantisation {
  let maxAbs = 0;
  for (let j = 0; j < dimension; j++) {
    const a = Math.abs(source[sourceOffset + j]);
    if (a > maxAbs) maxAbs = a;
  }
  // The scale is rounded to float32 before use, so the residual below is measured against the stored scale. Any
  // q is correct (the residual is measured, not assumed); rounding x/s to nearest just makes it small.
  const scale = Math.fround(maxAbs / 127);
  const inverse = scale === 0 ? 0 : 1 / scale;
  let qq = 0;
  let rr = 0;
  for (let j = 0; j < dimension; j++) {
    const x = source[sourceOffset + j];
    let q = Math.round(x * inverse);
    if (q > 127) q = 127;
    else if (q < -127) q = -127;
    target[targetOffset + j] = q;
    const r = x - scale * q; // exact in float64: x has 24 significant bits, scale·q at most 31
    qq += q * q;
    rr += r * r;
  }
  return { scale, quantisedNorm: roundUpBound(scale * Math.sqrt(qq)), residualNorm: roundUpBound(Math.sqrt(rr)) };
}

export interface QuantisedQuery {
  /** p, widened to int16 and zero-padded to the index's row stride. */
  values: Int16Array;
  scale: number;
  /** ‖w − t·p‖, rounded up. */
  residualNorm: number;
  /** ‖w‖, rounded up. */
  norm: number;
}

export function quantiseQuery(w: Float32Array, stride: number): QuantisedQuery {
  let maxAbs = 0;
  let ww = 0;
  for (let j = 0; j < w.length; j++) {
    maxAbs = Math.max(maxAbs, Math.abs(w[j]));
    ww += w[j] * w[j];
  }
  const scale = maxAbs / 127;
  const values = new Int16Array(stride);
  let rr = 0;
  for (let j = 0; j < w.length; j++) {
    const p = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(w[j] / scale)));
    values[j] = p;
    const r = w[j] - scale * p;
    rr += r * r;
  }
  return { values, scale, residualNorm: roundUpBound(Math.sqrt(rr)), norm: roundUpBound(Math.sqrt(ww)) };
}
