import { averagePrecisionLogitInterval, Estimate, wilson } from './intervals';
import { recallAtPrecision } from './operating-point';

/** One scored audit record as the estimates see it: the head's logit and the user's verdict. */
export interface AuditPoint {
  id: string;
  logit: number;
  positive: boolean;
}

export interface AuditInput {
  points: AuditPoint[];
  /** Sample records without a score yet, and those scored 0 (unsure): both left out of every estimate. */
  unscored: number;
  unsure: number;
  /** Sample records the head was also trained on (in labels.jsonl): their logits flatter the head. */
  trainedOn: number;
  /** Records in the collection now (the population). */
  collectionSize: number;
  /** The decision threshold on the logit: records above it are predicted positive. */
  threshold: number;
  /** The head's top N in the whole collection, as the logit of its N-th record (ties included). */
  top?: { n: number; cutoff: number };
  /** Precision for the "recall at precision" figure. */
  atPrecision?: number;
}

/**
 * What an audit sample says about a head and its collection. Every figure is an estimate from a uniform random
 * sample, with a 95% interval: Wilson's for proportions, Boyd et al.'s logit interval for AP (bench:labels measured
 * its coverage against the bootstrap's). Counts in the collection scale
 * the sample's proportions by its size (sampling without replacement from a large collection: the finite-population
 * correction is left out, which only widens the intervals a little).
 */
export interface AuditEstimates {
  scored: number;
  positives: number;
  unscored: number;
  unsure: number;
  trainedOn: number;
  collectionSize: number;
  threshold: number;
  /** Share of the collection that is positive. */
  prevalence: Estimate;
  /** Among records above the threshold, the share that is positive. */
  precision: Estimate;
  /** Among positives, the share above the threshold. */
  recall: Estimate;
  ap: Estimate;
  /** Positives in the whole collection. */
  collectionPositives: Estimate;
  /** The head's top N: how many positives they hold, and what share of all positives that is. */
  top?: { n: number; cutoff: number; positivesCaught: Estimate; shareOfPositives: Estimate };
  /** The most recall at which audit precision is still at least `precision`; null recall: no cut reaches it. */
  recallAtPrecision?: { precision: number; recall: Estimate | null; threshold: number | null };
}

export function auditEstimates(input: AuditInput): AuditEstimates {
  const { points, threshold, collectionSize } = input;
  const positives = points.filter((p) => p.positive);
  const above = points.filter((p) => p.logit > threshold);
  const prevalence = wilson(positives.length, points.length);
  const result: AuditEstimates = {
    scored: points.length,
    positives: positives.length,
    unscored: input.unscored,
    unsure: input.unsure,
    trainedOn: input.trainedOn,
    collectionSize,
    threshold,
    prevalence,
    precision: wilson(above.filter((p) => p.positive).length, above.length),
    recall: wilson(positives.filter((p) => p.logit > threshold).length, positives.length),
    ap: averagePrecisionLogitInterval(
      points.map((p) => p.logit),
      points.map((p) => p.positive),
    ),
    collectionPositives: scaled(prevalence, collectionSize),
  };
  if (input.top) {
    const { n, cutoff } = input.top;
    // The store ranks in float32, the audit logits are float64: a hair of slack keeps the N-th record itself in.
    const inTop = points.filter((p) => p.logit >= cutoff - 1e-6 * Math.max(1, Math.abs(cutoff)));
    result.top = {
      n,
      cutoff,
      positivesCaught: scaled(wilson(inTop.filter((p) => p.positive).length, inTop.length), n),
      shareOfPositives: wilson(positives.filter((p) => inTop.includes(p)).length, positives.length),
    };
  }
  if (input.atPrecision !== undefined) {
    const op = recallAtPrecision(
      points.map((p) => p.logit),
      points.map((p) => p.positive),
      input.atPrecision,
    );
    result.recallAtPrecision = {
      precision: input.atPrecision,
      threshold: op ? op.threshold : null,
      recall: op ? wilson(op.truePositives, positives.length) : null,
    };
  }
  return result;
}

function scaled(e: Estimate, by: number): Estimate {
  return { ...e, value: e.value * by, low: e.low * by, high: e.high * by };
}

/** "0.042 [0.021-0.081] (8/190)": a proportion as the CLI and reports print it. */
export function formatEstimate(e: Estimate, digits = 3): string {
  if (Number.isNaN(e.value)) return 'n/a' + (e.trials === 0 ? ' (no records to estimate from)' : '');
  const counts = e.trials !== undefined ? ` (${e.successes}/${e.trials})` : '';
  return `${e.value.toFixed(digits)} [${e.low.toFixed(digits)}-${e.high.toFixed(digits)}]${counts}`;
}

/** A count in the collection: "123 [61-240]". */
export function formatCount(e: Estimate): string {
  if (Number.isNaN(e.value)) return 'n/a';
  return `${Math.round(e.value)} [${Math.round(e.low)}-${Math.round(e.high)}]`;
}
