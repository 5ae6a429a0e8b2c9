import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';
import type { TrainingSettings } from './linear-head';

/**
 * `classifier.weights.json`: a committed head, small enough to review and loadable anywhere. From Python:
 *
 *   h = json.load(open("classifier.weights.json"))
 *   x = emb - np.asarray(h["preprocessing"]["centre"] or 0.0); x /= np.linalg.norm(x, axis=-1, keepdims=True)
 *   logits = x @ np.asarray(h["w"]) + h["b"]          # > 0 means positive
 */
export const WEIGHTS_FORMAT = 'vector-tune-head';
export const WEIGHTS_VERSION = 1;
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
  model: { id: string; dimension: number };
  /** What to do to a raw embedding before `w·x + b`: subtract `centre` (when not null), then L2-normalise. */
  preprocessing: { centre: number[] | null; normalise: 'l2' };
  w: number[];
  b: number;
  training: TrainingSettings & { loss: 'bce-with-logits'; target: '(score + 1) / 2' };
  start: StartPoint;
  labels: { file: string; count: number; rounds: number; sha256: string };
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
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VectorTuneError(`the weights file is not valid JSON (${(err as Error).message}).`, file);
  }
  return validateWeights(raw, file);
}

export async function writeWeights(file: string, weights: HeadWeights): Promise<void> {
  validateWeights(weights, file);
  await writeFileAtomic(file, JSON.stringify(weights, null, 1) + '\n');
}

/** The largest float32: heads are scored as float32 query vectors, where anything larger becomes Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;
/** More SGD passes per round than anyone sets by hand: a larger count in a file is damage, and would hang training. */
const MAX_STEPS_PER_BATCH = 100_000;

/** Checks every field a loader relies on; a weights file is user-editable and committed, so trust nothing. */
export function validateWeights(raw: unknown, file: string): HeadWeights {
  const bad = (what: string) => new VectorTuneError(`not a valid Vector Tune weights file: ${what}.`, file);
  if (!isObject(raw)) throw bad('expected a JSON object');
  const h: Unchecked<HeadWeights> = raw;
  if (h.format !== WEIGHTS_FORMAT) throw bad(`"format" must be "${WEIGHTS_FORMAT}"`);
  if (typeof h.version !== 'number' || !Number.isInteger(h.version) || h.version < 1)
    throw bad('"version" must be a whole number from 1');
  if (h.version > WEIGHTS_VERSION) {
    throw new VectorTuneError(
      `the weights file was written by a newer version of Vector Tune (format ${h.version}; this version reads up to ${WEIGHTS_VERSION}).`,
      file,
      'Update Vector Tune.',
    );
  }
  if (typeof h.name !== 'string' || h.name === '') throw bad('"name" must be a non-empty string');
  if (
    !isObject(h.model) ||
    typeof h.model.id !== 'string' ||
    h.model.id === '' ||
    !isCount(h.model.dimension) ||
    h.model.dimension === 0
  ) {
    throw bad('"model" must hold a non-empty "id" string and a positive integer "dimension"');
  }
  const d = h.model.dimension;
  checkVector(h.w, d, '"w"', bad);
  if (typeof h.b !== 'number' || !Number.isFinite(h.b)) throw bad('"b" must be a finite number');
  if (!isObject(h.preprocessing) || h.preprocessing.normalise !== 'l2')
    throw bad('"preprocessing.normalise" must be "l2"');
  if (h.preprocessing.centre !== null) checkVector(h.preprocessing.centre, d, '"preprocessing.centre"', bad);
  checkTraining(h.training, bad);
  checkStart(h.start, d, bad);
  if (
    !isObject(h.labels) ||
    typeof h.labels.file !== 'string' ||
    !isCount(h.labels.count) ||
    !isCount(h.labels.rounds)
  ) {
    throw bad('"labels" must hold a "file" name and whole numbers "count" and "rounds"');
  }
  return h as HeadWeights; // every field a loader relies on is checked above
}

function checkTraining(t: unknown, bad: (what: string) => Error): void {
  if (
    !isObject(t) ||
    !isFiniteNumber(t.learningRate) ||
    !isFiniteNumber(t.stepsPerBatch) ||
    !isFiniteNumber(t.batchSize) ||
    !isFiniteNumber(t.l2) ||
    !isFiniteNumber(t.seed)
  ) {
    throw bad('"training" must hold numeric learningRate, stepsPerBatch, batchSize, l2 and seed');
  }
  if (t.learningRate <= 0 || t.stepsPerBatch < 0 || t.batchSize < 1 || t.l2 < 0)
    throw bad('"training" values are out of range');
  if (!Number.isSafeInteger(t.stepsPerBatch) || !Number.isSafeInteger(t.batchSize) || !Number.isSafeInteger(t.seed)) {
    throw bad('"training.stepsPerBatch", "batchSize" and "seed" must be whole numbers');
  }
  if (t.stepsPerBatch > MAX_STEPS_PER_BATCH)
    throw bad(
      `"training.stepsPerBatch" is ${t.stepsPerBatch}; at most ${MAX_STEPS_PER_BATCH.toLocaleString('en-US')} passes are plausible`,
    );
}

function checkStart(s: unknown, d: number, bad: (what: string) => Error): void {
  if (!isObject(s) || typeof s.kind !== 'string' || !['prompt', 'examples', 'weights'].includes(s.kind))
    throw bad('"start.kind" must be prompt, examples or weights');
  checkVector(s.w, d, '"start.w"', bad);
  if (typeof s.b !== 'number' || !Number.isFinite(s.b)) throw bad('"start.b" must be a finite number');
  if (s.kind === 'prompt' && typeof s.prompt !== 'string') throw bad('"start.prompt" must be a string');
  if (s.kind === 'examples' && !(Array.isArray(s.ids) && s.ids.every((id) => typeof id === 'string' && id !== ''))) {
    throw bad('"start.ids" must be a list of record ids');
  }
  if (s.kind === 'weights' && (typeof s.file !== 'string' || typeof s.sha256 !== 'string'))
    throw bad('"start.file" and "start.sha256" must be strings');
}

function checkVector(raw: unknown, d: number, what: string, bad: (what: string) => Error): void {
  if (!Array.isArray(raw)) throw bad(`${what} must be an array of ${d} numbers`);
  const v: unknown[] = raw;
  if (v.length !== d) throw bad(`${what} has ${v.length} numbers but "model.dimension" is ${d}`);
  const i = v.findIndex((x) => !isFiniteNumber(x));
  if (i >= 0) throw bad(`${what}[${i}] is not a finite number`);
  const big = v.findIndex((x) => isFiniteNumber(x) && Math.abs(x) > FLOAT32_MAX);
  if (big >= 0) throw bad(`${what}[${big}] is ${String(v[big])}, too large for float32`);
}

/** A parsed JSON object before its fields are checked: any field of T may be missing or of any type. */
type Unchecked<T> = { [K in keyof T]?: unknown };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

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
