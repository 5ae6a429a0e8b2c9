/**
 * One pipeline run: indexFolder on a staged segment, as `vector-tune index` and the extension's worker run it,
 * with the model's calls and the decode queue watched from outside: time in the model, time the model's thread
 * waited for its next batch, and the queue's fill each time it asked for one.
 */
import * as path from 'node:path';
import type { ClipEncoder } from '../../src/core/embed/clip';
import { decodeThreadsBeside } from '../../src/core/ingest/decode-pool';
import { indexFolder } from '../../src/core/ingest/index-folder';
import type { StagedDataset } from './data';
import type { Pipeline } from './options';

export interface Rate {
  images: number;
  seconds: number;
  perSecond: number;
}

export const rate = (images: number, seconds: number): Rate => ({ images, seconds, perSecond: images / seconds });
const now = () => performance.now() / 1000;

/** The queue's fill when the model asked for a batch: `at` is the share of the run's wall time gone by. */
export interface FillSample {
  at: number;
  ready: number;
}

export interface PipelineRun extends Rate {
  modelSeconds: number;
  /** Between asking for the next batch and running the model on it: waiting for the queue. */
  waitSeconds: number;
  fill: FillSample[];
}

/** The decode threads a variant runs under a thread mode whose model uses `modelThreads` (undefined: default). */
export function decodeThreadsOf(pipeline: Pipeline, modelThreads: number | undefined): number {
  return pipeline.decodeThreads ?? decodeThreadsBeside(modelThreads);
}

export async function runPipeline(
  encoder: ClipEncoder,
  staged: StagedDataset,
  segment: number,
  batch: number,
  pipeline: Pipeline,
  decodeThreads: number,
): Promise<PipelineRun> {
  const { folder, files } = staged.segments[segment];
  let modelSeconds = 0;
  let waitSeconds = 0;
  let asked: number | undefined;
  const asks: { t: number; ready: number }[] = [];
  const timed: ClipEncoder = {
    ...encoder,
    embedPixels: async (pixels) => {
      const t = now();
      if (asked !== undefined) waitSeconds += t - asked;
      asked = undefined;
      const vectors = await encoder.embedPixels(pixels);
      modelSeconds += now() - t;
      return vectors;
    },
  };
  const t0 = now();
  const report = await indexFolder({
    folder,
    root: staged.workspace,
    storeDir: path.join(staged.workspace, '.stores', `b${batch}-${pipeline.name}`),
    embedder: timed,
    batchSize: batch,
    decodeThreads,
    readAhead: pipeline.readAhead,
    decodeFilesAtOnce: pipeline.filesAtOnce,
    onQueueFill: ({ ready }) => {
      asked = now();
      asks.push({ t: asked, ready });
    },
  });
  const seconds = now() - t0;
  if (report.added !== files.length || report.skipped.length > 0) {
    throw new Error(
      `${folder}: indexed ${report.added} of ${files.length}, skipped ${JSON.stringify(report.skipped.slice(0, 3))}`,
    );
  }
  const fill = asks.map(({ t, ready }) => ({ at: (t - t0) / seconds, ready }));
  return { ...rate(report.added, seconds), modelSeconds, waitSeconds, fill };
}

export interface FillSummary {
  /** Batches ready, on average, when the model asked for one (its own included). */
  meanReady: number;
  /** Share of the model's asks that found at least one batch ready. */
  readyShare: number;
  /**
   * meanReady in each tenth of the runs' wall time (the runs of all segments together); null for a tenth in
   * which the model asked for nothing (null, not undefined: results cross a process boundary as JSON).
   */
  overTime: (number | null)[];
}

export function summariseFill(samples: FillSample[]): FillSummary {
  const bins = Array.from({ length: 10 }, () => ({ sum: 0, n: 0 }));
  for (const { at, ready } of samples) {
    const bin = bins[Math.min(9, Math.floor(at * 10))];
    bin.sum += ready;
    bin.n++;
  }
  const total = samples.reduce((s, x) => s + x.ready, 0);
  return {
    meanReady: samples.length ? total / samples.length : 0,
    readyShare: samples.length ? samples.filter((x) => x.ready > 0).length / samples.length : 0,
    overTime: bins.map((b) => (b.n ? b.sum / b.n : null)),
  };
}
