import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { conflictError, firstConflictLine } from '../fs/conflict-markers';
import { writeFileAtomic } from '../fs/durable';
import { type HeadCalibration, weightsFingerprint } from '../calibration/calibration';
import type { TrainingSettings } from './linear-head';
import {
  type CheckedWeights,
  WEIGHTS_FORMAT,
  WEIGHTS_VERSION,
  WEIGHTS_VERSION_PLAIN,
  weightsProblem,
} from './weights-schema';

/**
 * `classifier.weights.json`: a committed head, small enough to review and loadable anywhere. From Python:
 *
 *   h = json.load(open("classifier.weights.json"))
 *   x = emb - np.asarray(h["preprocessing"]["centre"] or 0.0); x /= np.linalg.norm(x, axis=-1, keepdims=True)
 *   logits = x @ np.asarray(h["w"]) + h["b"]          # > 0 means positive
 */
export { WEIGHTS_FORMAT, WEIGHTS_VERSION } from './weights-schema';
export const WEIGHTS_FILE_NAME = 'classifier.weights.json';

/** Where the head started; `w`/`b` are the starting weights, so the head is rebuildable from its labels alone. */
export type StartPoint =
  | { kind: 'prompt'; prompt: string; w: number[]; b: number }
  | { kind: 'examples'; ids: string[]; w: number[]; b: number }
  | { kind: 'weights'; file: string; sha256: string; w: number[]; b: number };

export interface HeadWeights {
  format: typeof WEIGHTS_FORMAT;
  version: number;
  name: string;
  /** Given at creation (head-id.ts); absent in heads written before ids existed. */
  id?: string;
  model: { id: string; dimension: number };
  /** What to do to a raw embedding before `w·x + b`: subtract `centre` (when not null), then L2-normalise. */
  preprocessing: { centre: number[] | null; normalise: 'l2' };
  w: number[];
  b: number;
  training: TrainingSettings & { loss: 'bce-with-logits'; target: '(score + 1) / 2' };
  start: StartPoint;
  labels: { file: string; count: number; rounds: number; sha256: string };
  /** Format 2: fitted on the audit sample (vector-tune calibrate); only for the weights it names. */
  calibration?: HeadCalibration;
  createdAt: string;
  updatedAt: string;
}

export async function readWeights(file: string): Promise<HeadWeights> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VectorTuneError(
      code === 'ENOENT' ? 'no weights file here.' : `cannot read the weights file (${code}).`,
      file,
      code === 'ENOENT' ? 'Start a head first (vector-tune start).' : undefined,
    );
  }
  const conflict = firstConflictLine(text);
  if (conflict !== null) throw conflictError(file, conflict);
  return parseWeightsText(text, file);
}

/** A weights file's text, checked (readWeights without the reading; rebuild hands it one side of a conflict). */
export function parseWeightsText(text: string, file: string): HeadWeights {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VectorTuneError(`the weights file is not valid JSON (${(err as Error).message}).`, file);
  }
  return validateWeights(raw, file);
}

/**
 * Writes the head. A calibration fitted on other weights (the head trained on since) is dropped: it describes a
 * head that no longer exists. Without a calibration the file is format 1, which older versions read.
 */
export async function writeWeights(file: string, weights: HeadWeights): Promise<void> {
  const written = withCurrentCalibration(weights);
  validateWeights(written, file);
  await writeFileAtomic(file, JSON.stringify(written, null, 1) + '\n');
}

export function withCurrentCalibration(weights: HeadWeights): HeadWeights {
  const { calibration, ...rest } = weights;
  if (calibration && calibration.weightsSha256 === weightsFingerprint(weights))
    return { ...rest, version: WEIGHTS_VERSION, calibration };
  return { ...rest, version: WEIGHTS_VERSION_PLAIN };
}

/** The head's calibration when it describes these very weights; null when absent or stale. */
export function currentCalibration(weights: HeadWeights): HeadCalibration | null {
  const c = weights.calibration;
  return c && c.weightsSha256 === weightsFingerprint(weights) ? c : null;
}

/**
 * Checks every field a loader relies on (weights-schema.ts); a weights file is user-editable and committed, so trust
 * nothing. A file from a newer Vector Tune is refused as such before its fields are looked at.
 */
export function validateWeights(raw: unknown, file: string): HeadWeights {
  const version = typeof raw === 'object' && raw !== null ? (raw as { version?: unknown }).version : undefined;
  if (Number.isSafeInteger(version) && (version as number) > WEIGHTS_VERSION) {
    throw new VectorTuneError(
      `the weights file was written by a newer version of Vector Tune (format ${String(version)}; this version reads up to ${WEIGHTS_VERSION}).`,
      file,
      'Update Vector Tune.',
    );
  }
  const problem = weightsProblem(raw);
  if (problem !== null) throw new VectorTuneError(`not a valid Vector Tune weights file: ${problem}.`, file);
  return raw as HeadWeights;
}

/** The written form is what the schema checks, so the two cannot drift apart. */
export const writtenFormIsChecked: (h: HeadWeights) => CheckedWeights = (h) => h;
/** Refuses a head trained on another model's embeddings: its `w` would be meaningless in this space. */
export function checkWeightsMatchStore(
  weights: HeadWeights,
  store: { modelId: string; dimension: number; centringMean?: Float32Array | null },
  file: string,
): void {
  if (weights.model.id !== store.modelId || weights.model.dimension !== store.dimension) {
    throw new VectorTuneError(
      `this head was trained on ${weights.model.dimension}-d embeddings of "${weights.model.id}", but the store holds ${store.dimension}-d embeddings of "${store.modelId}".`,
      file,
      'Use a store indexed with the same model, or start a new head.',
    );
  }
  // A head trained on centred vectors scores uncentred ones wrongly (and vice versa), without any error.
  if (store.centringMean !== undefined && (weights.preprocessing.centre === null) !== (store.centringMean === null)) {
    throw new VectorTuneError(
      `this head was trained on ${weights.preprocessing.centre ? 'mean-centred' : 'uncentred'} vectors, but the store's vectors are ${store.centringMean ? 'mean-centred' : 'not centred'}.`,
      file,
      'Use a store made with the same --centre choice, or start a new head.',
    );
  }
}
