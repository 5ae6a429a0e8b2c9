import { VectorTuneError } from '../errors';
import { sha256 } from '../util/hash';
import { bestF1, OperatingPoint, precisionAtRecall, recallAtPrecision } from '../audit/operating-point';
import { fitIsotonic, isotonicProbability, IsotonicFit } from './isotonic';
import { fitPlatt, plattProbability, PlattFit } from './platt';

/**
 * A head's calibration and decision threshold, fitted on its audit sample and stored in `classifier.weights.json`
 * (format version 2). It belongs to the weights it was fitted on: `weightsSha256` names them, and once the head
 * trains on, a stale calibration is dropped when the weights are written (weights-file.ts), never applied to
 * weights it does not describe.
 */
export type CalibrationMethod = 'platt' | 'isotonic';
export type ThresholdRule = 'target-precision' | 'target-recall' | 'best-f1';

export interface HeadCalibration {
  method: CalibrationMethod;
  /** Platt: P = sigmoid(a·logit + c). */
  platt?: PlattFit;
  /** Isotonic: knots, probabilities interpolated between them. */
  isotonic?: IsotonicFit;
  /** The decision: records whose logit is above `logit` are positive. */
  threshold: {
    logit: number;
    /** The calibrated probability at the threshold. */
    probability: number;
    rule: ThresholdRule;
    /** The target precision or recall (none for best F1). */
    target?: number;
    /** On the audit sample, at the threshold. */
    precision: number;
    recall: number;
  };
  fittedOn: { file: string; records: number; positives: number };
  /** sha256 of `{"w":[...],"b":...}` (weightsFingerprint): the weights this calibration describes. */
  weightsSha256: string;
}

/** Below this many scored audit records, or of either class, isotonic overfits: Platt is used instead. */
export const ISOTONIC_MIN_RECORDS = 500;
export const ISOTONIC_MIN_PER_CLASS = 30;

export function weightsFingerprint(weights: { w: readonly number[]; b: number }): string {
  return sha256(JSON.stringify({ w: weights.w, b: weights.b }));
}

export function calibratedProbability(calibration: HeadCalibration, logit: number): number {
  if (calibration.method === 'isotonic') return isotonicProbability(calibration.isotonic!, logit);
  return plattProbability(calibration.platt!, logit);
}

export interface FitOptions {
  method: CalibrationMethod | 'auto';
  rule: ThresholdRule;
  target?: number;
  file: string;
}

/** Fits the calibration and picks the threshold on scored audit records (the head's logits and the user's verdicts). */
export function fitCalibration(
  weights: { w: readonly number[]; b: number },
  logits: readonly number[],
  positive: readonly boolean[],
  options: FitOptions,
): HeadCalibration {
  const positives = positive.filter(Boolean).length;
  const negatives = positive.length - positives;
  if (positives === 0 || negatives === 0)
    throw new VectorTuneError(
      `the audit sample has ${positives} positive and ${negatives} negative scored records; calibration needs both.`,
      options.file,
      'Score more of the audit sample, or draw a larger one (vector-tune audit --draw N --force).',
    );
  const isotonicFits =
    positive.length >= ISOTONIC_MIN_RECORDS && Math.min(positives, negatives) >= ISOTONIC_MIN_PER_CLASS;
  const method = options.method === 'auto' ? (isotonicFits ? 'isotonic' : 'platt') : options.method;
  const fit =
    method === 'isotonic' ? { isotonic: fitIsotonic(logits, positive) } : { platt: fitPlatt(logits, positive) };
  const point = chooseThreshold(logits, positive, options);
  const calibration: HeadCalibration = {
    method,
    ...fit,
    threshold: {
      logit: point.threshold,
      probability: 0,
      rule: options.rule,
      precision: point.precision,
      recall: point.recall,
    },
    fittedOn: { file: options.file, records: positive.length, positives },
    weightsSha256: weightsFingerprint(weights),
  };
  if (options.target !== undefined) calibration.threshold.target = options.target;
  calibration.threshold.probability = calibratedProbability(calibration, point.threshold);
  return calibration;
}

function chooseThreshold(logits: readonly number[], positive: readonly boolean[], options: FitOptions): OperatingPoint {
  const { rule, target } = options;
  const point =
    rule === 'best-f1'
      ? bestF1(logits, positive)
      : rule === 'target-precision'
        ? recallAtPrecision(logits, positive, target!)
        : precisionAtRecall(logits, positive, target!);
  if (!point)
    throw new VectorTuneError(
      `no threshold reaches a precision of ${target} on the audit sample.`,
      options.file,
      'Lower --target-precision, train the head further, or score more of the audit sample.',
    );
  return point;
}
