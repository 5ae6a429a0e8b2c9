/**
 * One measuring process: one model under one thread mode, over every dataset and batch size. Forked by
 * main.ts (sharp's thread settings are per process, so each mode gets a fresh one). Receives a Job, sends back
 * a ProcessResult, or for a memory job a MemoryResult (memory-run.ts).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ClipEncoder, PixelBatch } from '../../src/core/embed/clip';
import { decodeImage, DecodedImage } from '../../src/core/embed/image';
import { datasetFiles, stageDataset } from './data';
import { measureMemory } from './memory-run';
import { dtypeOf, loadWithThreads, ThreadReport } from './models';
import { DatasetName, Job, ModelName, segmentSize } from './options';
import {
  decodeThreadsOf,
  FillSample,
  FillSummary,
  PipelineRun,
  rate,
  Rate,
  runPipeline,
  summariseFill,
} from './pipeline-run';

export interface PipelineResult extends Rate {
  pipeline: string;
  decodeThreads: number;
  /** Batches queued (or, inline, read ahead) beside the one the model runs on. */
  readAhead: number;
  /** Share of the pipeline's time spent inside the model: what is left is the pipeline's own cost. */
  modelShare: number;
  /** Share of the pipeline's time the model's thread waited for its next batch. */
  waitShare: number;
  /** This variant's rate over model-alone's, both summed over all segments. */
  ratio: number;
  /** The same ratio per segment, to show how noisy the machine was. */
  segmentRatios: number[];
  fill: FillSummary;
}

export interface DatasetResult {
  dataset: DatasetName;
  batch: number;
  images: number;
  segments: number;
  /** Each step alone, one after the other on the first batches: milliseconds per image. */
  stagesMs: { decode: number; preprocess: number; model: number; store: number };
  modelAlone: Rate;
  pipelines: PipelineResult[];
}

export interface ProcessResult {
  model: ModelName;
  threads: ThreadReport;
  loadSeconds: number;
  rssAfterLoadMb: number;
  peakRssMb: number;
  datasets: DatasetResult[];
}

const log = (s: string) => process.stderr.write(`  ${s}\n`);
const now = () => performance.now() / 1000;

async function decodeBatch(files: string[], size: number): Promise<DecodedImage[]> {
  const results = await Promise.all(files.map((f) => decodeImage(f, { targetShortSide: size })));
  return results.map((r, i) => {
    if (!r.ok) throw new Error(`${files[i]}: ${r.reason}`);
    return r.image;
  });
}

/** Up to four distinct batches of real, preprocessed images: the model-alone input. */
async function premadeBatches(encoder: ClipEncoder, files: string[], batch: number): Promise<PixelBatch[]> {
  const out: PixelBatch[] = [];
  for (let i = 0; i + batch <= files.length && out.length < 4; i += batch) {
    out.push(await encoder.preprocessImages(await decodeBatch(files.slice(i, i + batch), encoder.imageSize)));
  }
  if (out.length === 0) throw new Error(`fewer images (${files.length}) than one batch (${batch})`);
  return out;
}

/** Each step alone, one after the other, over up to 10 batches of the first segment. */
async function measureStages(
  encoder: ClipEncoder,
  files: string[],
  batch: number,
  scratch: string,
): Promise<DatasetResult['stagesMs']> {
  const { EmbeddedStore } = await import('../../src/core/store/embedded-store');
  const store = await EmbeddedStore.openOrCreate(scratch, { modelId: encoder.modelId, dimension: encoder.dimension });
  const t = { decode: 0, preprocess: 0, model: 0, store: 0 };
  let images = 0;
  try {
    for (let i = 0; i + batch <= files.length && i < 10 * batch; i += batch) {
      const part = files.slice(i, i + batch);
      let t0 = now();
      const decoded = await decodeBatch(part, encoder.imageSize);
      t.decode += now() - t0;
      t0 = now();
      const pixels = await encoder.preprocessImages(decoded);
      t.preprocess += now() - t0;
      t0 = now();
      const vectors = await encoder.embedPixels(pixels);
      t.model += now() - t0;
      t0 = now();
      await store.upsert(vectors.map((vector, j) => ({ id: `${i + j}`, path: part[j], vector })));
      t.store += now() - t0;
      images += part.length;
    }
  } finally {
    await store.close();
  }
  const ms = (s: number) => (1000 * s) / images;
  return { decode: ms(t.decode), preprocess: ms(t.preprocess), model: ms(t.model), store: ms(t.store) };
}

async function runModelAlone(encoder: ClipEncoder, premade: PixelBatch[], images: number): Promise<Rate> {
  const calls = Math.ceil(images / premade[0].count);
  const t0 = now();
  for (let c = 0; c < calls; c++) await encoder.embedPixels(premade[c % premade.length]);
  return rate(calls * premade[0].count, now() - t0);
}

async function measureDataset(
  encoder: ClipEncoder,
  job: Job,
  modelThreads: number | undefined,
  dataset: DatasetName,
  batch: number,
): Promise<DatasetResult> {
  const o = job.options;
  const { root, files } = await datasetFiles(dataset, o.limit);
  const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-bench-index-'));
  try {
    const staged = await stageDataset(root, files, workspace, segmentSize(o, job.model));
    const premade = await premadeBatches(encoder, staged.segments[0].files, batch);
    await encoder.embedPixels(premade[0]); // warm-up: the first run allocates onnxruntime's buffers
    const stagesMs = await measureStages(encoder, staged.segments[0].files, batch, path.join(workspace, '.stages'));

    const units = ['model', ...o.pipelines.map((p) => p.name)];
    const totals = new Map(units.map((u) => [u, { images: 0, seconds: 0, modelSeconds: 0, waitSeconds: 0 }]));
    const fills = new Map<string, FillSample[]>(units.map((u) => [u, []]));
    const perSegment: Map<string, Rate>[] = [];
    for (let s = 0; s < staged.segments.length; s++) {
      const rates = new Map<string, Rate>();
      // Rotate the order every segment, so drift in the machine's load falls on every unit alike.
      for (let k = 0; k < units.length; k++) {
        const unit = units[(s + k) % units.length];
        const n = staged.segments[s].files.length;
        const pipeline = o.pipelines.find((p) => p.name === unit);
        const r: PipelineRun = pipeline
          ? await runPipeline(encoder, staged, s, batch, pipeline, decodeThreadsOf(pipeline, modelThreads))
          : await runModelAlone(encoder, premade, n).then((alone) => ({
              ...alone,
              modelSeconds: alone.seconds,
              waitSeconds: 0,
              fill: [],
            }));
        rates.set(unit, r);
        const total = totals.get(unit)!;
        total.images += r.images;
        total.seconds += r.seconds;
        total.modelSeconds += r.modelSeconds;
        total.waitSeconds += r.waitSeconds;
        fills.get(unit)!.push(...r.fill);
      }
      perSegment.push(rates);
      const line = units.map((u) => `${u === 'model' ? 'model alone' : u} ${rates.get(u)!.perSecond.toFixed(1)}/s`);
      log(
        `${job.model} [${job.threads}] ${dataset} b${batch} segment ${s + 1}/${staged.segments.length}: ${line.join(', ')}`,
      );
    }
    const model = totals.get('model')!;
    const modelAlone = rate(model.images, model.seconds);
    const pipelines = o.pipelines.map((p): PipelineResult => {
      const t = totals.get(p.name)!;
      const r = rate(t.images, t.seconds);
      return {
        pipeline: p.name,
        decodeThreads: decodeThreadsOf(p, modelThreads),
        readAhead: p.readAhead,
        ...r,
        modelShare: t.modelSeconds / t.seconds,
        waitShare: t.waitSeconds / t.seconds,
        ratio: r.perSecond / modelAlone.perSecond,
        segmentRatios: perSegment.map((m) => m.get(p.name)!.perSecond / m.get('model')!.perSecond),
        fill: summariseFill(fills.get(p.name)!),
      };
    });
    return { dataset, batch, images: files.length, segments: staged.segments.length, stagesMs, modelAlone, pipelines };
  } finally {
    await fs.rm(workspace, { recursive: true, force: true });
  }
}

async function run(job: Job): Promise<ProcessResult> {
  const t0 = now();
  const { encoder, threads } = await loadWithThreads(job.modelDir, job.threads, dtypeOf(job.model));
  const loadSeconds = now() - t0;
  const rssAfterLoadMb = process.memoryUsage().rss / 2 ** 20;
  const datasets: DatasetResult[] = [];
  try {
    for (const dataset of job.options.datasets) {
      for (const batch of job.options.batchSizes)
        datasets.push(await measureDataset(encoder, job, threads.modelThreads, dataset, batch));
    }
  } finally {
    await encoder.dispose();
  }
  return {
    model: job.model,
    threads,
    loadSeconds,
    rssAfterLoadMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    datasets,
  };
}

process.once('message', (job: Job) => {
  (job.kind === 'memory' ? measureMemory(job) : run(job)).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (err: unknown) =>
      process.send!({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1)),
  );
});
