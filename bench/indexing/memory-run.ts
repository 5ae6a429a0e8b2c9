/**
 * Peak memory of one pipeline variant: a process of its own (forked by main.ts) loads the model, indexes a few
 * hundred images once with that variant, and reports its peak RSS. The throughput runs cannot tell this: their
 * process holds every variant, the model-alone tensors and the step timings at once.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { datasetFiles, stageDataset } from './data';
import { dtypeOf, loadWithThreads } from './models';
import type { Job } from './options';
import { decodeThreadsOf, runPipeline } from './pipeline-run';

export interface MemoryResult {
  model: string;
  threads: string;
  pipeline: string;
  decodeThreads: number;
  readAhead: number;
  batch: number;
  images: number;
  rssAfterLoadMb: number;
  peakRssMb: number;
}

const mb = (bytes: number) => bytes / 2 ** 20;

export async function measureMemory(job: Job): Promise<MemoryResult> {
  const o = job.options;
  const pipeline = o.memory[job.variant ?? 0];
  const batch = o.batchSizes[0];
  const { encoder, threads } = await loadWithThreads(job.modelDir, job.threads, dtypeOf(job.model));
  const rssAfterLoadMb = mb(process.memoryUsage().rss);
  const { root, files } = await datasetFiles(o.datasets[0], o.memoryImages);
  const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-bench-memory-'));
  try {
    const staged = await stageDataset(root, files, workspace, files.length);
    const decodeThreads = decodeThreadsOf(pipeline, threads.modelThreads);
    const run = await runPipeline(encoder, staged, 0, batch, pipeline, decodeThreads);
    return {
      model: job.model,
      threads: threads.mode,
      pipeline: pipeline.name,
      decodeThreads,
      readAhead: pipeline.readAhead,
      batch,
      images: run.images,
      rssAfterLoadMb,
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    };
  } finally {
    await encoder.dispose();
    await fs.rm(workspace, { recursive: true, force: true });
  }
}
