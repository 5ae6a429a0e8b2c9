import { VectorTuneError } from '../core/errors';
import { decodeThreadsBeside } from '../core/ingest/decode-pool';
import { checkFolderToIndex, indexFolder, IndexProgress, IndexReport } from '../core/ingest/index-folder';
import type { StoreIdentity } from '../core/store/types';
import type { VectorStore } from '../core/store/types';
import type { EngineConfig, WorkerProtocol } from '../protocol/worker-protocol';
import type { ModelHolder } from './model-holder';
import type { RequestContext } from './request-context';
import { throwIfCancelled } from './worker-errors';
import type { WorkerLog } from './worker-log';

const MAX_BATCH_SIZE = 256;

/**
 * One `index` request: load the encoder (once per worker), then embed the folder into the store (opened for
 * the model's vectors by `openStore`: the embedded store or a Pinecone index), reporting
 * progress. Decode threads started from this thread read and preprocess the images on the cores the model's
 * threads leave. Cancelling stops after the batch being embedded; everything embedded so far is committed, the
 * report says `cancelled: true`, and indexing again carries on from there. A cancel that arrives while the
 * model is still loading ends the request with a CancelledError instead: nothing was indexed.
 */
export async function runIndex(
  params: WorkerProtocol['index'][0],
  config: EngineConfig,
  openStore: (identity: StoreIdentity) => Promise<VectorStore>,
  models: ModelHolder,
  context: RequestContext,
  log: WorkerLog,
): Promise<IndexReport> {
  checkParams(params);
  await checkFolderToIndex(params.folder, config.workspaceRoot);
  if (!models.has(config)) context.progress({ done: 0, total: 0, message: 'Loading the embedding model...' });
  const embedder = await models.encoder(config);
  throwIfCancelled(context.signal);
  context.progress({ done: 0, total: 0, message: 'Looking for new and changed images...' });
  const report = await indexFolder({
    folder: params.folder,
    root: config.workspaceRoot,
    openStore,
    embedder,
    batchSize: params.batchSize,
    maxPixels: params.maxPixels,
    decodeThreads: decodeThreadsBeside(models.onnxThreads),
    signal: context.signal,
    onProgress: (p) =>
      context.progress({ done: p.done, total: p.total, message: describeProgress(p, models.describeRun(embedder)) }),
  });
  log('info', describeReport(params.folder, report));
  for (const s of report.skipped) log('warn', `Skipped ${s.path}: ${s.reason}`);
  return report;
}

function checkParams(params: WorkerProtocol['index'][0]): void {
  if (typeof params.folder !== 'string' || params.folder === '')
    throw new VectorTuneError('no folder to index was given.');
  if (!Number.isInteger(params.batchSize) || params.batchSize < 1 || params.batchSize > MAX_BATCH_SIZE) {
    throw new VectorTuneError(
      `the indexing batch size must be a whole number from 1 to ${MAX_BATCH_SIZE}, got ${params.batchSize}.`,
    );
  }
  if (!(params.maxPixels > 0))
    throw new VectorTuneError(
      `the largest image size to index must be a positive number of pixels, got ${params.maxPixels}.`,
    );
}

/** `run`: how the model runs ("fp32 on cpu, 2 threads"), so the speed can be read against it. */
function describeProgress(p: IndexProgress, run: string): string {
  const skipped = p.skipped > 0 ? `, ${p.skipped} skipped` : '';
  return `Embedded ${p.done} of ${p.total} images (${p.imagesPerSecond.toFixed(1)}/s${skipped}; ${run})`;
}

function describeReport(folder: string, r: IndexReport): string {
  const what = r.cancelled ? 'Indexing cancelled' : 'Indexed';
  return (
    `${what} ${folder}: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.removed} removed, ` +
    `${r.skipped.length} skipped, ${r.ignored} non-image files ignored, ${r.seconds.toFixed(1)} s.`
  );
}
