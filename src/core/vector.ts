/** Small vector helpers shared by the store, the head and the importers. */

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/**
 * Centres (optionally) then scales to unit length, in place. A zero vector stays zero: it cannot be
 * normalised, and the importer reports such rows instead of storing NaNs.
 */
export function centreAndNormalise(v: Float32Array, mean: Float32Array | null): Float32Array {
  centreAndScale(v, mean);
  return v;
}

/**
 * centreAndNormalise, returning the centred vector's length: 0 exactly when it is all zeros (the square of the
 * smallest float32 is far above float64's smallest, so no non-zero value squares to 0), which an import then skips.
 */
export function centreAndScale(v: Float32Array, mean: Float32Array | null): number {
  if (mean) for (let i = 0; i < v.length; i++) v[i] -= mean[i];
  // norm(v), summed in the same order (so the same bits), on a Float32Array the compiler need not guess at.
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const n = Math.sqrt(sum);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return n;
}

export function meanOfRows(data: Float32Array, rows: number, dimension: number): Float32Array {
  const sum = new Float64Array(dimension);
  for (let r = 0; r < rows; r++) {
    const off = r * dimension;
    for (let i = 0; i < dimension; i++) sum[i] += data[off + i];
  }
  const mean = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) mean[i] = rows > 0 ? sum[i] / rows : 0;
  return mean;
}

export function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x - x !== 0) return false; // NaN for NaN and ±Infinity, 0 for every finite number (faster than isFinite)
  }
  return true;
}
