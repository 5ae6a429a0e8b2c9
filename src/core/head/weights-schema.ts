import { z } from 'zod';

/**
 * The one description of `classifier.weights.json`: what every field must hold for the code that loads a head
 * (scoring as a float32 query vector, centring, the SGD loop, the replay from the start point, the session's label
 * bookkeeping) to work. weights-file.ts reads and writes with it, the CLI checks its training options with it, and
 * the fuzz test holds the reader and the loading code against it.
 * Not checked, as nothing relies on them: createdAt, updatedAt, training.loss/target and labels.sha256 (a
 * mismatch there only makes a session retrain from the labels). Unknown fields are kept.
 */

export const WEIGHTS_FORMAT = 'vector-tune-head';
/**
 * The newest format this version reads and writes. Version 2 adds `calibration` (a probability map and a decision
 * threshold fitted on the audit sample); a head without one is still written as version 1, so older versions of
 * Vector Tune keep reading every head that does not need the new field.
 */
export const WEIGHTS_VERSION = 2;
/** The version of a head without calibration. */
export const WEIGHTS_VERSION_PLAIN = 1;

/**
 * A head's identity (head-id.ts): 128 random bits in hex, given when the head is created. Optional, so heads written
 * before it existed still read; an additive field does not change the format version.
 */
export const HEAD_ID = /^[0-9a-f]{32}$/;

/** The largest float32: heads are scored as float32 query vectors, where anything larger becomes Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;
/** More SGD passes per round than anyone sets by hand: a larger count in a file is damage, and would hang training. */
export const MAX_STEPS_PER_BATCH = 100_000;

const finite = z.number({ error: 'must be a finite number' });
const float32 = z
  .number({ error: 'is not a finite number' })
  .refine((x) => Math.abs(x) <= FLOAT32_MAX, { error: 'is too large for float32' });
const vector = z.array(float32, { error: 'must be an array of numbers' });
const text = z.string({ error: 'must be a string' });
const nonEmpty = text.min(1, { error: 'must be a non-empty string' });
const count = z.int({ error: 'must be a whole number' }).min(0, { error: 'must be a whole number from 0' });

/**
 * A step size no one uses on unit vectors: each SGD step moves w by at most about the learning rate, so a larger one
 * only drives the head to huge logits (and, over many passes, to Infinity).
 */
export const MAX_LEARNING_RATE = 1000;

/** SGD settings, as a head records them and as the CLI and the extension pass them in. */
export const trainingSchema = z
  .object(
    {
      learningRate: finite
        .positive({ error: 'must be a positive number' })
        .max(MAX_LEARNING_RATE, { error: `is more than ${MAX_LEARNING_RATE}, far beyond any useful step size` }),
      stepsPerBatch: z
        .int({ error: 'must be a whole number' })
        .min(0, { error: 'must be a whole number from 0' })
        .max(MAX_STEPS_PER_BATCH, {
          error: `is more than ${MAX_STEPS_PER_BATCH.toLocaleString('en-US')} passes, which no one sets by hand`,
        }),
      batchSize: z.int({ error: 'must be a whole number' }).min(1, { error: 'must be a whole number from 1' }),
      l2: finite.min(0, { error: 'must be a number from 0' }),
      seed: z.int({ error: 'must be a whole number' }),
      loss: z.unknown().optional(),
      target: z.unknown().optional(),
    },
    { error: 'must be an object of training settings' },
  )
  // Each step multiplies w by (1 - learningRate·l2) before the data's gradient: at 2 or more it grows without bound.
  .superRefine((t, ctx) => {
    if (t.learningRate * t.l2 >= 2)
      ctx.addIssue({
        code: 'custom',
        path: ['l2'],
        message: `makes learningRate × l2 = ${t.learningRate * t.l2}, 2 or more, so the L2 term would make w grow without bound`,
      });
  });

const startWeights = { w: vector, b: finite };
const start = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('prompt'), prompt: text, ...startWeights }),
    z.object({
      kind: z.literal('examples'),
      ids: z.array(nonEmpty, { error: 'must be a list of record ids' }),
      ...startWeights,
    }),
    z.object({ kind: z.literal('weights'), file: text, sha256: text, ...startWeights }),
  ],
  { error: 'must be an object whose "kind" is prompt, examples or weights' },
);

const probability = finite
  .min(0, { error: 'must be a number from 0 to 1' })
  .max(1, { error: 'must be a number from 0 to 1' });
/** Precision or recall measured on a sample: NaN (no records) is written by JSON as null. */
const measured = probability.nullable();

/** calibration/calibration.ts: how a head's logits map to probabilities, and where it draws the line. */
const calibrationSchema = z
  .object(
    {
      method: z.enum(['platt', 'isotonic'], { error: 'must be "platt" or "isotonic"' }),
      platt: z.object({ a: finite, c: finite }, { error: 'must hold numbers "a" and "c"' }).optional(),
      isotonic: z
        .object(
          { logits: z.array(finite).min(1), probabilities: z.array(probability).min(1) },
          { error: 'must hold "logits" and "probabilities"' },
        )
        .optional(),
      threshold: z.object(
        {
          logit: finite,
          probability,
          rule: z.enum(['target-precision', 'target-recall', 'best-f1'], {
            error: 'must be target-precision, target-recall or best-f1',
          }),
          target: probability.optional(),
          precision: measured,
          recall: measured,
        },
        { error: 'must hold the threshold "logit", "probability" and "rule"' },
      ),
      fittedOn: z.object({ file: text, records: count, positives: count }, { error: 'must say what it was fitted on' }),
      weightsSha256: text,
    },
    { error: 'must be an object' },
  )
  .superRefine((c, ctx) => {
    // The applying code reads the parameters of its method: they must be there, and knots must pair up in order.
    if (c.method === 'platt' && !c.platt)
      ctx.addIssue({ code: 'custom', path: ['platt'], message: 'is missing (the method is platt)' });
    if (c.method === 'isotonic') {
      const k = c.isotonic;
      if (!k) ctx.addIssue({ code: 'custom', path: ['isotonic'], message: 'is missing (the method is isotonic)' });
      else if (k.logits.length !== k.probabilities.length || k.logits.some((x, i) => i > 0 && x < k.logits[i - 1]))
        ctx.addIssue({
          code: 'custom',
          path: ['isotonic'],
          message: 'must hold as many probabilities as logits, the logits ascending',
        });
    }
  });

export const headWeightsSchema = z
  .object(
    {
      format: z.literal(WEIGHTS_FORMAT, { error: `must be "${WEIGHTS_FORMAT}"` }),
      version: z
        .int({ error: 'must be a whole number' })
        .min(1, { error: 'must be a whole number from 1' })
        .max(WEIGHTS_VERSION, { error: `is newer than this version of Vector Tune reads (${WEIGHTS_VERSION})` }),
      name: nonEmpty,
      id: z
        .string({ error: 'must be a string' })
        .regex(HEAD_ID, { error: 'must be 32 lowercase hexadecimal digits' })
        .optional(),
      model: z.object(
        {
          id: nonEmpty,
          dimension: z.int({ error: 'must be a whole number' }).min(1, { error: 'must be a positive whole number' }),
        },
        { error: 'must hold an "id" and a "dimension"' },
      ),
      preprocessing: z.object(
        {
          centre: vector.nullable(),
          normalise: z.literal('l2', { error: 'must be "l2"' }),
        },
        { error: 'must hold "centre" and "normalise"' },
      ),
      w: vector,
      b: finite,
      training: trainingSchema,
      start,
      labels: z.object(
        { file: text, count, rounds: count, sha256: z.unknown().optional() },
        { error: 'must hold a "file" name and whole numbers "count" and "rounds"' },
      ),
      calibration: calibrationSchema.optional(),
      createdAt: z.unknown().optional(),
      updatedAt: z.unknown().optional(),
    },
    { error: 'expected a JSON object' },
  )
  .superRefine((h, ctx) => {
    // Every vector has the model's dimension (one rule over three fields, so it is checked on the whole).
    const vectors: [string[], number[] | null][] = [
      [['w'], h.w],
      [['preprocessing', 'centre'], h.preprocessing.centre],
      [['start', 'w'], h.start.w],
    ];
    for (const [path, v] of vectors) {
      if (v !== null && v.length !== h.model.dimension)
        ctx.addIssue({
          code: 'custom',
          path,
          message: `has ${v.length} numbers but "model.dimension" is ${h.model.dimension}`,
        });
    }
  });

/** What the schema checks, as TypeScript sees it (the file's own types are in weights-file.ts). */
export type CheckedWeights = z.infer<typeof headWeightsSchema>;

/**
 * The first problem with `raw`, phrased for a person: `"training.stepsPerBatch" must be a whole number`, or
 * `"w"[3] is too large for float32`. null when the head is usable.
 */
export function weightsProblem(raw: unknown): string | null {
  return firstProblem(headWeightsSchema.safeParse(raw));
}

function firstProblem(result: z.ZodSafeParseResult<unknown>, prefix?: string): string | null {
  if (result.success) return null;
  const issue = result.error.issues[0];
  const path = prefix ? [prefix, ...issue.path] : issue.path;
  return path.length === 0 ? issue.message : `${fieldName(path)} ${issue.message}`;
}

/** The first problem with a set of training settings (the CLI's options, the extension's settings), or null. */
export function trainingProblem(settings: unknown): string | null {
  return firstProblem(trainingSchema.safeParse(settings), 'training');
}

/** `["start", "w", 3]` -> `"start.w"[3]`. */
function fieldName(path: PropertyKey[]): string {
  const firstIndex = path.findIndex((p) => typeof p === 'number');
  const names = firstIndex < 0 ? path : path.slice(0, firstIndex);
  const indices = firstIndex < 0 ? [] : path.slice(firstIndex);
  return `"${names.map(String).join('.')}"${indices.map((i) => `[${String(i)}]`).join('')}`;
}
