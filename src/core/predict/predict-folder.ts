/**
 * `predict`: committed heads applied to a folder of images, the batch job of a head in production. Each image
 * is embedded once (the indexer's own embedding path, embedFiles) and scored by every head, and the rows go
 * to a file as they come. Images that cannot be read are listed with the reason; the run goes on.
 */
import * as fs from 'node:fs/promises';
import type { ImageEmbedder } from '../embed/encoder';
import { VectorTuneError } from '../errors';
import type { CommittedHead } from '../eval/committed-heads';
import { checkModelFitsHead, logitsOfRaw } from '../head/apply-head';
import { embedFiles } from '../ingest/embed-files';
import { listImageFiles, toPosixRelative } from '../ingest/walk';
import { PredictionFile, sigmoid } from './prediction-file';
import { calibratedProbability } from '../calibration/calibration';
import { currentCalibration } from '../head/weights-file';

/**
 * Where each head draws the line: logit 0 (its own rule), the best-F1 threshold of its last report, the threshold
 * calibrated on its audit sample (`calibrated`, refused for a head without one), or `auto`: calibrated when the head
 * has a calibration of its current weights, else logit 0.
 */
export type ThresholdChoice = 'zero' | 'best-f1' | 'calibrated' | 'auto';
export const THRESHOLD_CHOICES: readonly ThresholdChoice[] = ['zero', 'best-f1', 'calibrated', 'auto'];

export interface PredictOptions {
  heads: readonly CommittedHead[];
  threshold: ThresholdChoice;
  folder: string;
  /** Workspace root: the rows' paths are relative to it. */
  root: string;
  /** The heads' model. */
  embedder: ImageEmbedder;
  /** .csv, .jsonl or .parquet. */
  out: string;
  batchSize?: number;
  maxPixels?: number;
  /** Batches decoded ahead of the model (see embedFiles; the CLI's own process can use it). */
  readAhead?: number;
  /** Stops after the batch being embedded; the rows so far are written and the report says cancelled. */
  signal?: AbortSignal;
  onProgress?: (progress: PredictProgress) => void;
  /** For a model other than the heads' (default: the CLI's words). */
  modelHint?: string;
}

export interface PredictProgress {
  done: number;
  total: number;
  failed: number;
  imagesPerSecond: number;
}

export interface PredictReport {
  file: string;
  heads: { name: string; threshold: number; thresholdFrom: string }[];
  total: number;
  predicted: number;
  failed: { path: string; reason: string }[];
  cancelled: boolean;
  seconds: number;
}

export async function predictFolder(options: PredictOptions): Promise<PredictReport> {
  const started = Date.now();
  const { heads, embedder } = options;
  for (const head of heads) checkModelFitsHead(head.weights, embedder, options.modelHint);
  const thresholds = headThresholds(heads, options.threshold);
  const stat = await fs.stat(options.folder).catch(() => null);
  if (!stat?.isDirectory()) throw new VectorTuneError('no such folder to predict.', options.folder);
  const { images } = await listImageFiles(options.folder);

  const names = heads.map((h) => h.weights.name);
  // A calibrated head's probability column is its calibrated probability; otherwise the sigmoid of the logit.
  const probabilities = heads.map((h) => {
    const calibration = currentCalibration(h.weights);
    return calibration ? (logit: number) => calibratedProbability(calibration, logit) : sigmoid;
  });
  const out = await PredictionFile.create(
    options.out,
    names,
    thresholds.map((t) => t.threshold),
    probabilities,
  );
  const report: PredictReport = {
    file: options.out,
    heads: names.map((name, h) => ({ name, ...thresholds[h] })),
    total: images.length,
    predicted: 0,
    failed: [],
    cancelled: false,
    seconds: 0,
  };
  try {
    for await (const batch of embedFiles(images, (f) => f, embedder, options)) {
      for (const s of batch.skipped)
        report.failed.push({ path: toPosixRelative(options.root, s.item), reason: s.reason });
      await out.append(
        batch.embedded.map((e) => ({
          path: toPosixRelative(options.root, e.item),
          logits: heads.map((h) => logitsOfRaw(h.weights, e.vector, 1)[0]),
        })),
      );
      report.predicted += batch.embedded.length;
      const done = report.predicted + report.failed.length;
      const seconds = (Date.now() - started) / 1000;
      options.onProgress?.({
        done,
        total: images.length,
        failed: report.failed.length,
        imagesPerSecond: seconds > 0 ? done / seconds : 0,
      });
    }
    await out.finish();
  } catch (err) {
    await out.discard();
    throw err;
  }
  report.cancelled = report.predicted + report.failed.length < images.length;
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

/** Each head's threshold; refused for a head without the report that best-f1 needs. */
export function headThresholds(
  heads: readonly CommittedHead[],
  choice: ThresholdChoice,
): { threshold: number; thresholdFrom: string }[] {
  return heads.map((h) => thresholdOf(h, choice));
}

function thresholdOf(head: CommittedHead, choice: ThresholdChoice): { threshold: number; thresholdFrom: string } {
  const calibration = currentCalibration(head.weights);
  if (choice === 'auto') choice = calibration ? 'calibrated' : 'zero';
  if (choice === 'zero') return { threshold: 0, thresholdFrom: 'logit 0' };
  if (choice === 'calibrated') {
    if (!calibration)
      throw new VectorTuneError(
        `the head "${head.weights.name}" has no calibration of its current weights.`,
        undefined,
        'Score its audit sample and calibrate it (vector-tune audit, vector-tune calibrate), or use the threshold logit 0.',
      );
    const t = calibration.threshold;
    return {
      threshold: t.logit,
      thresholdFrom: `calibrated on the audit sample (${t.rule}${t.target !== undefined ? ` ${t.target}` : ''}, probability ${t.probability.toFixed(3)})`,
    };
  }
  const report = head.lastReport;
  if (report?.bestF1Threshold === null || report?.bestF1Threshold === undefined) {
    throw new VectorTuneError(
      `the head "${head.weights.name}" has no report of its current weights with a best-F1 threshold${report ? ` (its last report, ${report.name}, had no truth)` : ''}.`,
      undefined,
      'Evaluate it on labelled data first (vector-tune eval), or use the threshold logit 0.',
    );
  }
  return { threshold: report.bestF1Threshold, thresholdFrom: `best F1 of report ${report.name}` };
}
