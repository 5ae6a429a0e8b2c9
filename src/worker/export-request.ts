import * as path from 'node:path';
import { VectorTuneError } from '../core/errors';
import { readCommittedHeads } from '../core/eval/committed-heads';
import { EXPORT_FROM } from '../core/export/export-heads';
import { exportHeadsToFile, exportSize, type ExportSummary } from '../core/export/export-to-file';
import { modelFolderOf } from '../core/export/vision-source';
import type { EngineConfig, WorkerProtocol } from '../protocol/worker-protocol';
import { resolveModelRef } from './engine-config';
import type { ModelHolder } from './model-holder';
import type { RequestContext } from './request-context';
import { throwIfCancelled } from './worker-errors';
import type { WorkerLog } from './worker-log';

/**
 * One `exportHeads` request: from images, the worker's model must be the heads' (its vision graph is the one
 * exported, and the check runs it); from embeddings, no model is loaded. Cancelling stops before the write.
 */
export async function runExport(
  params: WorkerProtocol['exportHeads'][0],
  config: EngineConfig,
  models: ModelHolder,
  context: RequestContext,
  log: WorkerLog,
): Promise<ExportSummary> {
  if (!Array.isArray(params.heads) || params.heads.length === 0) throw new VectorTuneError('no heads were chosen.');
  if (!EXPORT_FROM.includes(params.from))
    throw new VectorTuneError(`unknown export input ${JSON.stringify(params.from)}; use ${EXPORT_FROM.join(' or ')}.`);
  const heads = await readCommittedHeads(config.headsDir, params.heads);
  let encoder;
  let modelFolder;
  if (params.from === 'image') {
    if (!models.has(config)) context.progress({ done: 0, total: 0, message: 'Loading the embedding model...' });
    encoder = await models.encoder(config);
    modelFolder = modelFolderOf(resolveModelRef(config.model.ref, config.workspaceRoot), config.model.cacheDir);
  }
  throwIfCancelled(context.signal);
  context.progress({ done: 0, total: 0, message: 'Building and checking the ONNX model...' });
  const summary = await exportHeadsToFile({
    heads,
    from: params.from,
    out: path.resolve(config.workspaceRoot, params.out),
    encoder,
    modelFolder,
    modelHint: 'Set Vector Tune: Model (vectorTune.model) to the model the heads were trained with.',
  });
  log(
    'info',
    `Exported ${params.heads.join(', ')} from ${params.from} -> ${summary.model} (${exportSize(summary.bytes)}; largest logit difference from the engine ${summary.check.maxLogitDifference.toExponential(1)}).`,
  );
  return summary;
}
