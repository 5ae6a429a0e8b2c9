import * as path from 'node:path';
import { VectorTuneError } from '../core/errors';
import { precisionError } from '../core/store/precision-check';
import { describeLocation } from '../core/store/store-location';
import type { VectorStore } from '../core/store/types';
import type { StartSpec } from '../core/tune/start';
import type { EngineConfig, HeadStart } from '../protocol/worker-protocol';
import { storeLocation } from './engine-config';
import type { ModelHolder } from './model-holder';

/** What a new head starts from, as the engine resolves the request's start (a prompt is embedded here). */
export async function startSpecFor(
  start: HeadStart,
  store: VectorStore,
  config: EngineConfig,
  models: ModelHolder,
): Promise<StartSpec> {
  if (start.kind === 'examples') return { kind: 'examples', ids: start.ids };
  if (start.kind === 'weights') return { kind: 'weights', file: path.resolve(config.workspaceRoot, start.file) };
  const prompt = start.prompt.trim();
  if (!prompt)
    throw new VectorTuneError(
      'the prompt is empty.',
      undefined,
      'Describe what the head should find, e.g. "a red hat".',
    );
  const encoder = await models.encoder(config);
  const location = storeLocation(config);
  if (encoder.modelId !== store.info.modelId) {
    throw new VectorTuneError(
      `${describeLocation(location)} holds embeddings of "${store.info.modelId}", but the prompt would be embedded by "${encoder.modelId}".`,
      location.kind === 'embedded' ? location.dir : undefined,
      'Set the Vector Tune model to the one the store was indexed with, or index again with this model into another store.',
    );
  }
  const mixed = precisionError(
    `a prompt cannot start a head on ${describeLocation(location)}`,
    store.info,
    encoder,
    location.kind === 'embedded' ? location.dir : undefined,
  );
  if (mixed) throw mixed;
  const [vector] = await encoder.embedTexts([prompt]);
  return { kind: 'prompt', prompt, vector };
}
