import type { AuditReport } from '../audit/audit-report';
import type { PrPoint, RocPoint, ScoreHistogram } from './curves';
import type { Confusion } from './threshold-metrics';
import type { TruthDescription } from './truth';

/**
 * What an evaluation produces: plain JSON (no NaN, no typed arrays), because it is written as the report's
 * JSON, sent from the VS Code worker to the extension, and read back as the "previous report" by later runs.
 * Undefined figures (precision with nothing predicted positive) are null.
 */
export const REPORT_FORMAT = 'vector-tune-evaluation';
/** Bumped when a field changes meaning; readers refuse to compare with a newer format. */
export const REPORT_FORMAT_VERSION = 1;

export interface ClassifierFigures {
  /** Records with `logit > threshold` are predicted positive. */
  threshold: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  confusion: Confusion;
}

export interface EvaluationMetrics {
  /** Records with an answer (the ones measured). */
  n: number;
  positives: number;
  negatives: number;
  baseRate: number;
  averagePrecision: number | null;
  rocAuc: number | null;
  /** At the head's own decision threshold, logit 0 (probability 0.5). */
  atDecision: ClassifierFigures;
  /** At the threshold with the best F1 on this data (optimistic: chosen on the data it is measured on). */
  atBestF1: ClassifierFigures | null;
}

/** A listed record: its id, workspace-relative image path when known, logit, and class when known. */
export interface ListedRecord {
  id: string;
  path?: string;
  logit: number;
  positive?: boolean;
}

export interface HeadProvenance {
  name: string;
  /** sha256 of classifier.weights.json's bytes: names exactly which weights were measured. */
  weightsSha256: string;
  labelsCount: number;
  labelsRounds: number;
  weightsUpdatedAt: string;
}

export type DataDescription =
  | { kind: 'folder'; folder: string; description: string }
  | { kind: 'embeddings'; npy: string; csv: string; idColumn: string; where: string[]; description: string }
  | { kind: 'store'; description: string };

export interface EvaluationResult {
  format: typeof REPORT_FORMAT;
  version: number;
  createdAt: string;
  tool: { name: 'vector-tune'; reportFormatVersion: number };
  head: HeadProvenance;
  model: { id: string; dimension: number };
  data: DataDescription & {
    /** Records scored. */
    records: number;
    /** Files that could not be embedded (folder data), with the reason. */
    skipped: { path: string; reason: string }[];
  };
  /** Null without truth: then only `top` and the histogram of all scores are given. */
  truth: (TruthDescription & { unanswered: number }) | null;
  metrics: EvaluationMetrics | null;
  curves: { pr: PrPoint[]; roc: RocPoint[] } | null;
  histogram: ScoreHistogram;
  /** The best-scored records, highest first. */
  top: ListedRecord[];
  /** Negatives predicted positive at logit 0, highest logit first. */
  falsePositives: ListedRecord[];
  /** Positives predicted negative at logit 0, lowest logit first. */
  falseNegatives: ListedRecord[];
  /** Estimates from the head's audit sample (`eval --audit`), when asked for. */
  audit?: AuditReport;
}

/** NaN (undefined figure) becomes null in JSON; JSON.stringify would do it silently, here it is explicit and typed. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
