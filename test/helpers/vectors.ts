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

/**
 * Seeded unit vectors shaped like real embeddings: `clusters` centres that share a common direction (post-ReLU and
 * CLIP features all lean one way), each row a centre plus noise of norm about `noise`. A head's decision boundary
 * then crosses crowded clusters, where the int8 bound keeps the most rows. Returns the rows and each row's cluster.
 */
export function clusteredUnitVectors(
  rows: number,
  dimension: number,
  clusters: number,
  noise: number,
  seed: number,
): { vectors: Float32Array; cluster: Uint16Array } {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const common = randomUnitVectors(1, dimension, seed + 1);
  const centres = randomUnitVectors(clusters, dimension, seed + 2).map((v, i) => v + 1.5 * common[i % dimension]);
  const vectors = new Float32Array(rows * dimension);
  const cluster = new Uint16Array(rows);
  const sigma = noise / Math.sqrt(dimension);
  for (let r = 0; r < rows; r++) {
    const c = Math.floor(random() * clusters);
    cluster[r] = c;
    let sq = 0;
    for (let i = 0; i < dimension; i++) {
      const x = centres[c * dimension + i] + sigma * gaussian();
      vectors[r * dimension + i] = x;
      sq += x * x;
    }
    const n = Math.sqrt(sq) || 1;
    for (let i = 0; i < dimension; i++) vectors[r * dimension + i] /= n;
  }
  return { vectors, cluster };
}
