import type { EvaluationMetrics, EvaluationResult } from './evaluation-result';

/** A report as written to JSON and rendered to Markdown: the result and its change since the previous one. */
export interface ReportDocument extends EvaluationResult {
  comparison: Comparison | null;
  /** Why there is no comparison although a previous report exists (other data, unreadable file). */
  comparisonNote: string | null;
}

/**
 * The headline figures of a report, in the order the Markdown table, the CLI summary and the comparison
 * list them: one definition, so the three never disagree on names or on what is compared.
 */
export type MetricKey =
  | 'averagePrecision'
  | 'rocAuc'
  | 'precision'
  | 'recall'
  | 'f1'
  | 'bestF1'
  | 'bestF1Threshold'
  | 'baseRate'
  | 'n'
  | 'positives';

export interface Headline {
  key: MetricKey;
  label: string;
  value: number | null;
  /** Counts print as integers, rates with 4 decimals. */
  integer: boolean;
}

export function headlineMetrics(m: EvaluationMetrics): Headline[] {
  const rate = (key: MetricKey, label: string, value: number | null): Headline => ({
    key,
    label,
    value,
    integer: false,
  });
  return [
    rate('averagePrecision', 'average precision', m.averagePrecision),
    rate('rocAuc', 'ROC-AUC', m.rocAuc),
    rate('precision', 'precision at logit 0', m.atDecision.precision),
    rate('recall', 'recall at logit 0', m.atDecision.recall),
    rate('f1', 'F1 at logit 0', m.atDecision.f1),
    rate('bestF1', 'best F1', m.atBestF1?.f1 ?? null),
    rate('bestF1Threshold', 'best-F1 threshold (logit >)', m.atBestF1?.threshold ?? null),
    rate('baseRate', 'base rate', m.baseRate),
    { key: 'n', label: 'records with an answer', value: m.n, integer: true },
    { key: 'positives', label: 'positives', value: m.positives, integer: true },
  ];
}

export interface MetricChange {
  key: MetricKey;
  label: string;
  previous: number | null;
  current: number | null;
  /** current - previous; null when either is unknown. */
  delta: number | null;
}

export interface Comparison {
  previous: { createdAt: string; weightsSha256: string; labelsCount: number };
  changes: MetricChange[];
}

/**
 * Compares with the previous report of the same head on the same data and truth; otherwise says why not
 * (a change of data or truth makes every delta meaningless, so none is shown rather than a misleading one).
 */
export function compareResults(
  current: EvaluationResult,
  previous: EvaluationResult | null,
): { comparison: Comparison | null; note: string | null } {
  if (!previous) return { comparison: null, note: null };
  const why = incomparable(current, previous);
  if (why) return { comparison: null, note: `not compared with the previous report: ${why}.` };
  if (!current.metrics || !previous.metrics) return { comparison: null, note: null };
  const before = new Map(headlineMetrics(previous.metrics).map((h) => [h.key, h.value]));
  const changes = headlineMetrics(current.metrics).map((h): MetricChange => {
    const prev = before.get(h.key) ?? null;
    return {
      key: h.key,
      label: h.label,
      previous: prev,
      current: h.value,
      delta: prev !== null && h.value !== null ? h.value - prev : null,
    };
  });
  return {
    comparison: {
      previous: {
        createdAt: previous.createdAt,
        weightsSha256: previous.head.weightsSha256,
        labelsCount: previous.head.labelsCount,
      },
      changes,
    },
    note: null,
  };
}

function incomparable(current: EvaluationResult, previous: EvaluationResult): string | null {
  if (previous.head.name !== current.head.name) return `it is of head "${previous.head.name}"`;
  if (previous.model.id !== current.model.id) return `it used model "${previous.model.id}"`;
  if (previous.data.description !== current.data.description) return `it was run on ${previous.data.description}`;
  if ((previous.truth?.description ?? null) !== (current.truth?.description ?? null)) return 'its truth was different';
  return null;
}

export interface Gates {
  /** Fail when average precision is below this. */
  minAp?: number;
  /** Fail when ROC-AUC is below this. */
  minAuc?: number;
  /** Fail when average precision fell by more than this against the previous report. */
  maxDrop?: number;
}

export interface GateFailure {
  metric: 'averagePrecision' | 'rocAuc' | 'averagePrecisionDrop';
  /** The measured value (for a drop: previous AP minus current AP); null when it could not be measured. */
  value: number | null;
  bound: number;
  message: string;
}

/**
 * CI gates. A gate on a figure that cannot be measured (no truth) fails: a guard that silently passes
 * when its data is missing guards nothing. `maxDrop` without a comparable previous report passes (a first
 * report has nothing to drop from).
 */
export function checkThresholds(
  result: EvaluationResult,
  previous: EvaluationResult | null,
  gates: Gates,
): GateFailure[] {
  const failures: GateFailure[] = [];
  const ap = result.metrics?.averagePrecision ?? null;
  const auc = result.metrics?.rocAuc ?? null;
  const fmt = (x: number) => x.toFixed(4);
  if (gates.minAp !== undefined && !(ap !== null && ap >= gates.minAp)) {
    const what = ap === null ? 'could not be measured (no truth)' : fmt(ap);
    failures.push({
      metric: 'averagePrecision',
      value: ap,
      bound: gates.minAp,
      message: `average precision ${what} is below the minimum ${gates.minAp}`,
    });
  }
  if (gates.minAuc !== undefined && !(auc !== null && auc >= gates.minAuc)) {
    const what = auc === null ? 'could not be measured (no truth)' : fmt(auc);
    failures.push({
      metric: 'rocAuc',
      value: auc,
      bound: gates.minAuc,
      message: `ROC-AUC ${what} is below the minimum ${gates.minAuc}`,
    });
  }
  if (gates.maxDrop !== undefined) {
    const { comparison } = compareResults(result, previous);
    const change = comparison?.changes.find((c) => c.key === 'averagePrecision');
    if (ap === null) {
      failures.push({
        metric: 'averagePrecisionDrop',
        value: null,
        bound: gates.maxDrop,
        message: 'average precision could not be measured (no truth), so its drop cannot be checked',
      });
    } else if (change && change.delta !== null && -change.delta > gates.maxDrop) {
      failures.push({
        metric: 'averagePrecisionDrop',
        value: -change.delta,
        bound: gates.maxDrop,
        message: `average precision dropped by ${fmt(-change.delta)} (from ${fmt(change.previous!)} to ${fmt(ap)}), more than the allowed ${gates.maxDrop}`,
      });
    }
  }
  return failures;
}
