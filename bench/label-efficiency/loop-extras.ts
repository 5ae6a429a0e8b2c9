import { auditEstimates, AuditEstimates } from '../../src/core/audit/estimates';
import { averagePrecisionWithInterval, type Estimate } from '../../src/core/audit/intervals';
import { averagePrecision } from '../../src/core/eval/metrics';
import type { HeadWeights } from '../../src/core/head/weights-file';
import { StabilisingPredictions } from '../../src/core/tune/stop-rule';
import { mixSeed, seededRandom, shuffledIndices } from '../../src/core/util/random';
import type { Task } from './data';

/**
 * What a loop run measures besides its learning curve (issue 19): where the stop rule fires, and how well an audit
 * sample of the final head estimates the truth of the whole pool.
 */

/** Pool records per stop set: the fixed unlabelled set whose decisions the stop rule compares round to round. */
export const STOP_SET_SIZE = 1000;

/** The pool's vectors as one row-major matrix, in `task.poolIds` order, fetched once per task and process. */
const poolMatrices = new WeakMap<Task, Promise<Float32Array>>();
function poolMatrix(task: Task): Promise<Float32Array> {
  let m = poolMatrices.get(task);
  if (!m) {
    m = task.store.fetch(task.poolIds).then((records) => {
      const d = task.store.info.dimension;
      const out = new Float32Array(records.length * d);
      const row = new Map(task.poolIds.map((id, i) => [id, i]));
      for (const r of records) out.set(r.vector, row.get(r.id)! * d);
      return out;
    });
    poolMatrices.set(task, m);
  }
  return m;
}

/** Logits `w·x + b` of the listed pool rows (the store's vectors are already preprocessed). */
function logitsOfRows(
  matrix: Float32Array,
  d: number,
  rows: readonly number[],
  w: Pick<HeadWeights, 'w' | 'b'>,
): number[] {
  return rows.map((r) => {
    let s = w.b;
    for (let i = 0; i < d; i++) s += w.w[i] * matrix[r * d + i];
    return s;
  });
}

/** The stop rule over one run: the head's decisions (logit > 0) on a fixed, seeded stop set after every round. */
export class StopTracker {
  private readonly rule = new StabilisingPredictions();
  private readonly rows: number[];
  /** Labels and held-out AP after each pushed round. */
  private readonly points: { labels: number; ap: number }[] = [];

  constructor(private readonly task: Task) {
    const order = shuffledIndices(task.poolIds.length, seededRandom(mixSeed(0x5705, task.poolIds.length)));
    this.rows = order.slice(0, Math.min(STOP_SET_SIZE, order.length));
  }

  async push(weights: Pick<HeadWeights, 'w' | 'b'>, labels: number, ap: number): Promise<void> {
    const logits = logitsOfRows(await poolMatrix(this.task), this.task.store.info.dimension, this.rows, weights);
    this.rule.push(logits.map((l) => l > 0));
    this.points.push({ labels, ap });
  }

  /** Where the rule fired (labels, AP), or null; kappas round by round. */
  result(): StopResult {
    const at = this.rule.firedAt;
    return {
      fired: at === null ? null : this.points[at],
      kappas: this.rule.kappas.map((k) => Math.round(k * 1e4) / 1e4),
    };
  }
}

export interface StopResult {
  fired: { labels: number; ap: number } | null;
  kappas: number[];
}

/** One audit draw's estimates of the final head against the truth of the whole pool. */
export interface AuditCheck {
  prevalence: Checked;
  precision: Checked;
  recall: Checked;
  ap: Checked;
  /** AP with the percentile bootstrap interval instead of the logit one, to compare their coverage. */
  apBootstrap: Checked;
}

export interface Checked {
  truth: number;
  estimate: number;
  low: number;
  high: number;
}

/**
 * Draws `draws` seeded uniform audit samples of `size` pool records, scores them from truth, and compares the audit
 * estimates of the final head (threshold: logit 0) with the same figures over the whole pool. The draws depend on
 * the run's seed only, so every method is audited on the same samples.
 */
export async function auditChecks(
  task: Task,
  weights: Pick<HeadWeights, 'w' | 'b'>,
  seed: number,
  size: number,
  draws: number,
): Promise<AuditCheck[]> {
  const d = task.store.info.dimension;
  const matrix = await poolMatrix(task);
  const all = task.poolIds.map((_, i) => i);
  const logits = logitsOfRows(matrix, d, all, weights);
  const truth = task.poolIds.map((id) => task.poolPositives.has(id));
  const predicted = logits.map((l) => l > 0);
  const tp = truth.filter((t, i) => t && predicted[i]).length;
  const pool = {
    prevalence: task.poolPositives.size / truth.length,
    precision: tp / predicted.filter(Boolean).length,
    recall: tp / task.poolPositives.size,
    ap: averagePrecision(logits, truth),
  };
  const checks: AuditCheck[] = [];
  for (let draw = 0; draw < draws; draw++) {
    const rows = shuffledIndices(all.length, seededRandom(mixSeed(seed, 0xa0d1 + draw))).slice(0, size);
    const e: AuditEstimates = auditEstimates({
      points: rows.map((r) => ({ id: task.poolIds[r], logit: logits[r], positive: truth[r] })),
      unscored: 0,
      unsure: 0,
      trainedOn: 0,
      collectionSize: all.length,
      threshold: 0,
    });
    const c = (t: number, est: Estimate): Checked => ({ truth: t, estimate: est.value, low: est.low, high: est.high });
    checks.push({
      prevalence: c(pool.prevalence, e.prevalence),
      precision: c(pool.precision, e.precision),
      recall: c(pool.recall, e.recall),
      ap: c(pool.ap, e.ap),
      apBootstrap: c(
        pool.ap,
        averagePrecisionWithInterval(
          rows.map((r) => logits[r]),
          rows.map((r) => truth[r]),
        ),
      ),
    });
  }
  return checks;
}
