import { VectorTuneError } from '../core/errors';
import { precisionError } from '../core/store/precision-check';
import { describeLocation } from '../core/store/store-location';
import type { VectorStore } from '../core/store/types';
import type { EngineConfig } from '../protocol/worker-protocol';
import { storeLocation } from './engine-config';
import type { ModelHolder } from './model-holder';

/**
 * Embeds text with the configured model's text encoder for use against `store` (a prompt that starts a head, a
 * search query): refused when the store's vectors come from another model or precision, since the text's vector
 * would then rank nothing meaningfully. `noun` names the text in messages ("the prompt"), `refused` says what
 * cannot happen ("a prompt cannot start a head").
 */
export async function embedTextFor(
  text: string,
  words: { noun: string; refused: string },
  store: VectorStore,
  config: EngineConfig,
  models: ModelHolder,
): Promise<Float32Array> {
  const encoder = await models.encoder(config);
  const location = storeLocation(config);
  const where = location.kind === 'embedded' ? location.dir : undefined;
  if (encoder.modelId !== store.info.modelId) {
    throw new VectorTuneError(
      `${describeLocation(location)} holds embeddings of "${store.info.modelId}", but ${words.noun} would be embedded by "${encoder.modelId}".`,
      where,
      'Set the Vector Tune model to the one the store was indexed with, or index again with this model into another store.',
    );
  }
  const mixed = precisionError(`${words.refused} on ${describeLocation(location)}`, store.info, encoder, where);
  if (mixed) throw mixed;
  const [vector] = await encoder.embedTexts([text]);
  return vector;
}
