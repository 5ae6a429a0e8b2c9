import { VectorTuneError } from '../errors';
import { mixSeed, seededRandom, shuffledIndices } from '../util/random';

/**
 * A linear head `logit = w·x + b` trained by SGD on binary cross-entropy with logits. Users score records
 * from -1 (surely not) to +1 (surely), and a score s becomes the soft target (s + 1) / 2, so "unsure" (0)
 * pulls the logit towards 0 instead of being thrown away.
 */
export interface TrainingSettings {
  /** Step size of each SGD update. */
  learningRate: number;
  /** Passes over the labelled set after each submitted batch. */
  stepsPerBatch: number;
  /** Mini-batch size of each SGD update. */
  batchSize: number;
  /** L2 penalty on w (not on b). */
  l2: number;
  /** Seeds the shuffling, so training is reproducible from the label history. */
  seed: number;
}

/**
 * Measured with bench/label-efficiency (rare classes of real embeddings, 10 labels a round): l2 0.001
 * underfits (a head trained on every label of a 4% class reached held-out AP 0.40, against 0.72 at 1e-4),
 * and 20 passes left the head lagging its labels in the first rounds, when a round is only a few mini-batch
 * updates; 40 passes reach the same AP with fewer labels. Heads store their settings, so old heads replay
 * with the values they were trained with.
 */
export const DEFAULT_TRAINING: TrainingSettings = {
  learningRate: 0.5,
  stepsPerBatch: 40,
  batchSize: 16,
  l2: 0.0001,
  seed: 1,
};

export interface Example {
  x: Float32Array;
  /** Target probability in [0, 1]. */
  target: number;
}

export interface TrainingResult {
  /** Mean BCE over the training set after the update. */
  loss: number;
  /** Euclidean distance between w before and after. */
  moved: number;
}

export function scoreToTarget(score: number): number {
  if (!Number.isFinite(score) || score < -1 || score > 1) {
    throw new VectorTuneError(`a score must be a number from -1 to +1, got ${score}.`);
  }
  return (score + 1) / 2;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** BCE of a logit against a soft target, in the overflow-free form max(z,0) - z·t + log(1 + e^-|z|). */
export function bceWithLogits(z: number, target: number): number {
  return Math.max(z, 0) - z * target + Math.log1p(Math.exp(-Math.abs(z)));
}

export class LinearHead {
  constructor(
    readonly w: Float64Array,
    public b: number,
  ) {}

  static fromStart(w: ArrayLike<number>, b = 0): LinearHead {
    return new LinearHead(Float64Array.from(w), b);
  }

  get dimension(): number {
    return this.w.length;
  }

  logit(x: ArrayLike<number>): number {
    let s = this.b;
    for (let i = 0; i < this.w.length; i++) s += this.w[i] * x[i];
    return s;
  }

  /** The query vector for a store (float32, as stores take). */
  queryVector(): Float32Array {
    return Float32Array.from(this.w);
  }

  /** Mean loss over examples, including the L2 term, exactly what `gradient` differentiates. */
  loss(examples: Example[], l2: number): number {
    if (examples.length === 0) return 0;
    let total = 0;
    for (const e of examples) total += bceWithLogits(this.logit(e.x), e.target);
    let ww = 0;
    for (const v of this.w) ww += v * v;
    return total / examples.length + 0.5 * l2 * ww;
  }

  /** Gradient of `loss` over the given examples: d/dz BCE = sigmoid(z) - t. */
  gradient(examples: Example[], l2: number): { gw: Float64Array; gb: number } {
    const gw = new Float64Array(this.w.length);
    let gb = 0;
    for (const e of examples) {
      const r = sigmoid(this.logit(e.x)) - e.target;
      for (let i = 0; i < gw.length; i++) gw[i] += r * e.x[i];
      gb += r;
    }
    const n = Math.max(examples.length, 1);
    for (let i = 0; i < gw.length; i++) gw[i] = gw[i] / n + l2 * this.w[i];
    return { gw, gb: gb / n };
  }

  /**
   * `stepsPerBatch` shuffled passes of mini-batch SGD over `examples`. The shuffle is seeded by the
   * settings' seed and `round`, so replaying a label history reproduces the weights bit for bit.
   */
  train(examples: Example[], settings: TrainingSettings, round: number): TrainingResult {
    const before = Float64Array.from(this.w);
    if (examples.length > 0) {
      const random = seededRandom(mixSeed(settings.seed, round));
      const gw = new Float64Array(this.w.length);
      for (let pass = 0; pass < settings.stepsPerBatch; pass++) {
        const order = shuffledIndices(examples.length, random);
        for (let start = 0; start < order.length; start += settings.batchSize) {
          this.step(examples, order, start, Math.min(start + settings.batchSize, order.length), settings, gw);
        }
      }
    }
    let moved = 0;
    for (let i = 0; i < this.w.length; i++) moved += (this.w[i] - before[i]) ** 2;
    return { loss: this.loss(examples, settings.l2), moved: Math.sqrt(moved) };
  }

  /**
   * One SGD update on examples order[from..to): `gradient` followed by `w -= lr·gw`, with the same
   * arithmetic in the same order (so the weights are bit-identical), but over Float32Array rows and reused
   * buffers: this loop is where a round spends its time (the generic version was 2.4x slower). Every logit of
   * the mini-batch uses the same w, so four are summed side by side, each in its own running sum in index order
   * as `logit` does, so that the sums do not wait on one another; the gradient adds four examples per sweep.
   */
  private step(
    examples: Example[],
    order: number[],
    from: number,
    to: number,
    settings: TrainingSettings,
    gw: Float64Array,
  ): void {
    const w = this.w;
    const d = w.length;
    const b = this.b;
    const n = to - from;
    const z = this.logits.length >= n ? this.logits : (this.logits = new Float64Array(n));
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const x0 = examples[order[from + j]].x;
      const x1 = examples[order[from + j + 1]].x;
      const x2 = examples[order[from + j + 2]].x;
      const x3 = examples[order[from + j + 3]].x;
      let z0 = b,
        z1 = b,
        z2 = b,
        z3 = b;
      for (let i = 0; i < d; i++) {
        const wi = w[i];
        z0 += wi * x0[i];
        z1 += wi * x1[i];
        z2 += wi * x2[i];
        z3 += wi * x3[i];
      }
      z[j] = z0;
      z[j + 1] = z1;
      z[j + 2] = z2;
      z[j + 3] = z3;
    }
    for (; j < n; j++) z[j] = this.logit(examples[order[from + j]].x);
    // The gradient: per element, the examples' terms added in mini-batch order as one running sum would, four
    // examples per sweep over gw instead of one.
    let gb = 0;
    for (j = 0; j < n; j++) {
      const r = sigmoid(z[j]) - examples[order[from + j]].target;
      z[j] = r; // the residual from here on
      gb += r;
    }
    gw.fill(0);
    for (j = 0; j + 3 < n; j += 4) {
      const x0 = examples[order[from + j]].x;
      const x1 = examples[order[from + j + 1]].x;
      const x2 = examples[order[from + j + 2]].x;
      const x3 = examples[order[from + j + 3]].x;
      const r0 = z[j],
        r1 = z[j + 1],
        r2 = z[j + 2],
        r3 = z[j + 3];
      for (let i = 0; i < d; i++) gw[i] = gw[i] + r0 * x0[i] + r1 * x1[i] + r2 * x2[i] + r3 * x3[i];
    }
    for (; j < n; j++) {
      const x = examples[order[from + j]].x;
      const r = z[j];
      for (let i = 0; i < d; i++) gw[i] += r * x[i];
    }
    const { learningRate, l2 } = settings;
    for (let i = 0; i < d; i++) w[i] -= learningRate * (gw[i] / n + l2 * w[i]);
    this.b -= learningRate * (gb / n);
  }

  /** The mini-batch's logits, reused by every step. */
  private logits = new Float64Array(16);
}
