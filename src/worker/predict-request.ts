import * as path from 'node:path';
import { VectorTuneError } from '../core/errors';
import { readCommittedHeads } from '../core/eval/committed-heads';
import { headThresholds, predictFolder, type PredictReport, THRESHOLD_CHOICES } from '../core/predict/predict-folder';
import type { EngineConfig, WorkerProtocol } from '../protocol/worker-protocol';
import type { ModelHolder } from './model-holder';
import type { RequestContext } from './request-context';
import { throwIfCancelled } from './worker-errors';
import type { WorkerLog } from './worker-log';

/**
 * One `predict` request: the named heads applied to a folder with the worker's model (the one the heads were
 * trained with, or the request is refused naming both), the rows written to `out`. Cancelling stops after the
 * batch being embedded and writes the rows so far; the report says `cancelled: true`.
 */
export async function runPredict(
  params: WorkerProtocol['predict'][0],
  config: EngineConfig,
  models: ModelHolder,
  context: RequestContext,
  log: WorkerLog,
): Promise<PredictReport> {
  if (!Array.isArray(params.heads) || params.heads.length === 0) throw new VectorTuneError('no heads were chosen.');
  if (!THRESHOLD_CHOICES.includes(params.threshold))
    throw new VectorTuneError(
      `unknown threshold ${JSON.stringify(params.threshold)}; use ${THRESHOLD_CHOICES.join(' or ')}.`,
    );
  const heads = await readCommittedHeads(config.headsDir, params.heads);
  headThresholds(heads, params.threshold); // refused before the model loads
  if (!models.has(config)) context.progress({ done: 0, total: 0, message: 'Loading the embedding model...' });
  const embedder = await models.encoder(config);
  throwIfCancelled(context.signal);
  const root = config.workspaceRoot;
  const report = await predictFolder({
    heads,
    threshold: params.threshold,
    folder: path.resolve(root, params.folder),
    root,
    embedder,
    out: path.resolve(root, params.out),
    signal: context.signal,
    modelHint: 'Set Vector Tune: Model (vectorTune.model) to the model the heads were trained with.',
    onProgress: (p) =>
      context.progress({
        done: p.done,
        total: p.total,
        message: `Predicted ${p.done} of ${p.total} images (${p.imagesPerSecond.toFixed(1)}/s${p.failed ? `, ${p.failed} failed` : ''})`,
      }),
  });
  log(
    'info',
    `${report.cancelled ? 'Prediction cancelled' : 'Predicted'}: ${report.predicted} of ${report.total} images in ${params.folder} with ${params.heads.join(', ')} -> ${report.file} (${report.failed.length} failed, ${report.seconds.toFixed(1)} s).`,
  );
  for (const f of report.failed) log('warn', `  failed ${f.path}: ${f.reason}`);
  return report;
}
