import { seededRandom } from '../../src/core/util/random';

/** Seeded unit vectors, so store tests are reproducible. */
export function randomUnitVectors(rows: number, dimension: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const data = new Float32Array(rows * dimension);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let i = 0; i < dimension; i++) {
      // Sum of uniforms: roughly Gaussian, so directions are spread over the sphere.
      const g = random() + random() + random() - 1.5;
      data[r * dimension + i] = g;
      sq += g * g;
    }
    const n = Math.sqrt(sq);
    for (let i = 0; i < dimension; i++) data[r * dimension + i] /= n;
  }
  return data;
}
