import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { fileExists } from '../fs/durable';
import { currentLabels } from '../tune/label-history';
import { LABELS_FILE_NAME, readLabels } from '../tune/labels-file';
import { HeadWeights, readWeights } from '../head/weights-file';
import { sha256File } from '../util/hash';
import { prCurve, rocCurve, scoreHistogram } from './curves';
import { EvaluationData, EvaluationProgress, rankEvaluationData } from './evaluation-data';
import {
  ClassifierFigures,
  EvaluationMetrics,
  EvaluationResult,
  finiteOrNull,
  ListedRecord,
  REPORT_FORMAT,
  REPORT_FORMAT_VERSION,
} from './evaluation-result';
import { averagePrecision, rocAuc } from './metrics';
import type { RankedRecord } from './rank';
import { bestF1Threshold, DECISION_THRESHOLD, metricsAtThreshold, ThresholdMetrics } from './threshold-metrics';
import { classFolders, loadTruth, portablePath, Truth, TruthSpec } from './truth';

/** A committed head as evaluated: its weights and the hash of the file they were read from. */
export interface EvaluatedHead {
  weights: HeadWeights;
  weightsSha256: string;
  /** The head's labels.jsonl (beside its weights), when it is a head folder: what it was trained on. */
  labelsFile?: string;
}

export async function readHeadForEvaluation(weightsFile: string): Promise<EvaluatedHead> {
  const weights = await readWeights(weightsFile);
  const labelsFile = path.join(path.dirname(weightsFile), LABELS_FILE_NAME);
  return {
    weights,
    weightsSha256: await sha256File(weightsFile),
    ...((await fileExists(labelsFile)) ? { labelsFile } : {}),
  };
}

/**
 * The records the head is trained on now (its current labels: a removed label no longer counts), left out of
 * every evaluation unless the caller names its own set: they would flatter it. The CLI and VS Code used to
 * differ here (only VS Code left them out), giving two APs for one head on one store.
 */
async function trainedOn(head: EvaluatedHead): Promise<ReadonlySet<string>> {
  if (!head.labelsFile) return new Set();
  return new Set(currentLabels((await readLabels(head.labelsFile)).labels).keys());
}

export interface EvaluateOptions {
  head: EvaluatedHead;
  data: EvaluationData;
  /** Workspace root: record ids and every path in the result are relative to it. */
  root: string;
  truth?: TruthSpec;
  /** Ids to leave out of the measurement; by default the head's own current labels (see trainedOn). */
  excludeIds?: ReadonlySet<string>;
  /** How many records the top, false-positive and false-negative lists hold. */
  listSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: EvaluationProgress) => void;
  /** The report's time (tests pin it). */
  now?: Date;
}

export const DEFAULT_LIST_SIZE = 20;

/**
 * Evaluates a committed head on held-out data: the one entry point for the CLI and the VS Code worker.
 * Scores the data with the head, measures it against the truth when there is one, and returns a JSON-able
 * result that `writeReport` turns into the report files.
 */
export async function evaluateHead(options: EvaluateOptions): Promise<EvaluationResult> {
  const { head, data, root, signal } = options;
  signal?.throwIfAborted();
  const { weights } = head;
  const scored = await rankEvaluationData(weights, data, root, { signal, onProgress: options.onProgress });
  const labelled = await trainedOn(head);
  const leaveOut = options.excludeIds ?? labelled;
  const excluded = scored.ranked.filter((r) => leaveOut.has(r.id)).length;
  if (excluded > 0) {
    // Records the head was trained on would flatter it: they are left out, and the report says how many.
    scored.ranked = scored.ranked.filter((r) => !leaveOut.has(r.id));
    scored.description = {
      ...scored.description,
      description: `${scored.description.description}; ${excluded} records the head was trained on left out`,
    };
  }
  if (scored.ranked.length === 0)
    throw new VectorTuneError(`no records to evaluate in ${scored.description.description}.`);
  // Evaluating a folder, its class sub-folders are read below it: its own name and its parents never count.
  const spec =
    options.truth?.kind === 'folders' && data.kind === 'folder'
      ? { ...options.truth, under: portablePath(root, data.folder) }
      : options.truth;
  const truth = spec ? await loadTruth(spec, root) : null;
  const summary = summariseRanking(scored.ranked, truth, options.listSize ?? DEFAULT_LIST_SIZE);
  if (truth) checkTruthUsable(summary.metrics!, truth, scored.ranked, spec!);
  return {
    format: REPORT_FORMAT,
    version: REPORT_FORMAT_VERSION,
    createdAt: (options.now ?? new Date()).toISOString(),
    tool: { name: 'vector-tune', reportFormatVersion: REPORT_FORMAT_VERSION },
    head: {
      name: weights.name,
      weightsSha256: head.weightsSha256,
      // Labels now (a relabel or removal adds a line, so the weights' count of lines would overstate them).
      labelsCount: head.labelsFile ? labelled.size : weights.labels.count,
      labelsRounds: weights.labels.rounds,
      weightsUpdatedAt: weights.updatedAt,
    },
    model: { id: weights.model.id, dimension: weights.model.dimension },
    data: { ...scored.description, records: scored.ranked.length, skipped: scored.skipped },
    truth: truth ? { ...truth.description, unanswered: summary.unanswered } : null,
    ...summary.figures,
  };
}

export interface RankingSummary {
  metrics: EvaluationMetrics | null;
  unanswered: number;
  figures: Pick<EvaluationResult, 'metrics' | 'curves' | 'histogram' | 'top' | 'falsePositives' | 'falseNegatives'>;
}

/** Every figure of a report from a ranking (best first) and the truth: pure, so it is tested on hand-made cases. */
export function summariseRanking(
  ranked: RankedRecord[],
  truth: Pick<Truth, 'of'> | null,
  listSize: number,
): RankingSummary {
  const classes = ranked.map((r) => truth?.of(r));
  const listed = (r: RankedRecord, i: number): ListedRecord => ({
    id: r.id,
    ...(r.path !== undefined ? { path: r.path } : {}),
    logit: r.logit,
    ...(classes[i] !== undefined ? { positive: classes[i] } : {}),
  });
  const top = ranked.slice(0, listSize).map(listed);
  const histogram = scoreHistogram(
    ranked.map((r) => r.logit),
    truth ? classes : null,
  );
  if (!truth) {
    return {
      metrics: null,
      unanswered: ranked.length,
      figures: { metrics: null, curves: null, histogram, top, falsePositives: [], falseNegatives: [] },
    };
  }
  const known = ranked.map((r, i) => ({ r, i, positive: classes[i] })).filter((k) => k.positive !== undefined);
  const scores = known.map((k) => k.r.logit);
  const labels = known.map((k) => k.positive!);
  const positives = labels.filter(Boolean).length;
  const best = bestF1Threshold(scores, labels);
  const metrics: EvaluationMetrics = {
    n: known.length,
    positives,
    negatives: known.length - positives,
    baseRate: known.length > 0 ? positives / known.length : 0,
    averagePrecision: finiteOrNull(averagePrecision(scores, labels)),
    rocAuc: finiteOrNull(rocAuc(scores, labels)),
    atDecision: figures(metricsAtThreshold(scores, labels, DECISION_THRESHOLD)),
    atBestF1: best ? figures(best) : null,
  };
  // `ranked` is best first, so false positives come most confident first; false negatives are read from the end.
  const falsePositives = known
    .filter((k) => !k.positive && k.r.logit > DECISION_THRESHOLD)
    .slice(0, listSize)
    .map((k) => listed(k.r, k.i));
  const falseNegatives = known
    .filter((k) => k.positive && !(k.r.logit > DECISION_THRESHOLD))
    .reverse()
    .slice(0, listSize)
    .map((k) => listed(k.r, k.i));
  return {
    metrics,
    unanswered: ranked.length - known.length,
    figures: {
      metrics,
      curves: { pr: prCurve(scores, labels), roc: rocCurve(scores, labels) },
      histogram,
      top,
      falsePositives,
      falseNegatives,
    },
  };
}

function figures(m: ThresholdMetrics): ClassifierFigures {
  return {
    threshold: m.threshold,
    precision: finiteOrNull(m.precision),
    recall: finiteOrNull(m.recall),
    f1: finiteOrNull(m.f1),
    confusion: m.confusion,
  };
}

/** Nothing answered or nothing positive is almost always a typo (id column, label value, folder name): say which (also for a held-out set). */
export function checkTruthUsable(
  metrics: EvaluationMetrics,
  truth: Truth,
  ranked: RankedRecord[],
  spec: TruthSpec,
): void {
  const what = truth.description.description;
  if (metrics.n === 0) {
    throw new VectorTuneError(
      `none of the ${ranked.length} scored records has an answer in ${what}.`,
      undefined,
      spec.kind === 'answers' ? `Check the id column: scored ids look like "${ranked[0].id}".` : undefined,
    );
  }
  if (metrics.positives === 0) {
    const folders = spec.kind === 'folders' ? classFolders(ranked, spec.under ?? '') : [];
    const hint =
      spec.kind === 'folders'
        ? folders.length
          ? `The class folders are: ${folders.join(', ')}.`
          : 'The images are not in class sub-folders.'
        : 'Check the positive value.';
    throw new VectorTuneError(`no record of the ${metrics.n} evaluated is positive (${what}).`, undefined, hint);
  }
}
