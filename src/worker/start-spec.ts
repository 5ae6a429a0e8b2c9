import * as path from 'node:path';
import { VectorTuneError } from '../core/errors';
import type { VectorStore } from '../core/store/types';
import type { StartSpec } from '../core/tune/start';
import type { EngineConfig, HeadStart } from '../protocol/worker-protocol';
import type { ModelHolder } from './model-holder';
import { embedTextFor } from './text-query';

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
  const vector = await embedTextFor(
    prompt,
    { noun: 'the prompt', refused: 'a prompt cannot start a head' },
    store,
    config,
    models,
  );
  return { kind: 'prompt', prompt, vector };
}
