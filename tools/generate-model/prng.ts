/**
 * Seeded pseudo-random numbers for the generated weights.
 *
 * The generator must be byte-for-byte reproducible (same seed => same files), so it cannot use Math.random.
 * Weights are drawn from a uniform distribution scaled to a chosen standard deviation: a uniform needs only
 * multiplication and addition, whose results are exact in IEEE arithmetic on every platform, whereas a normal
 * draw (Box-Muller) goes through Math.log/Math.cos, whose last bits the JS spec leaves to the engine.
 */

/** mulberry32: a tiny 32-bit generator; statistically fine for initialising weights. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

/** FNV-1a hash of a string, so each tensor gets its own stream derived from (seed, tensor name). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Fills a new Float32Array with zero-mean uniform noise of standard deviation `std`.
 * Keyed by name so that adding a tensor elsewhere in a graph does not change every other tensor's values.
 */
export function randomTensor(seed: number, name: string, length: number, std: number): Float32Array {
  const rng = new Prng((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashString(name)) >>> 0);
  const out = new Float32Array(length);
  // A uniform on [-a, a] has standard deviation a / sqrt(3).
  const a = std * Math.sqrt(3);
  for (let i = 0; i < length; i++) out[i] = (rng.next() * 2 - 1) * a;
  return out;
}
