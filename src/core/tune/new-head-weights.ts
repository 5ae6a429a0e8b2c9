import type { TrainingSettings } from '../head/linear-head';
import { newHeadId } from '../head/head-id';
import { HeadWeights, StartPoint, WEIGHTS_FORMAT, WEIGHTS_VERSION } from '../head/weights-file';
import type { VectorStore } from '../store/types';
import { LABELS_FILE_NAME } from './labels-file';

/** A new head's weights file: its start point, a new id, the store's model and preprocessing, no labels yet. */
export function buildWeights(
  name: string,
  store: VectorStore,
  start: StartPoint,
  settings: TrainingSettings,
  now: string,
): HeadWeights {
  return {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    name,
    id: newHeadId(),
    model: { id: store.info.modelId, dimension: store.info.dimension },
    preprocessing: { centre: store.info.centringMean ? Array.from(store.info.centringMean) : null, normalise: 'l2' },
    w: start.w,
    b: start.b,
    training: { ...settings, loss: 'bce-with-logits', target: '(score + 1) / 2' },
    start,
    labels: { file: LABELS_FILE_NAME, count: 0, rounds: 0, sha256: '' },
    createdAt: now,
    updatedAt: now,
  };
}
