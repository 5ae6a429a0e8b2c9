import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_HEADS_DIR } from '../core/head/head-folder';
import { DEFAULT_TRAINING, TrainingSettings } from '../core/head/linear-head';
import { DEFAULT_MODEL_ID } from '../core/embed/model-defaults';
import { trainingProblem } from '../core/head/weights-schema';
import { DEVICES, type Device, isDevice } from '../core/embed/device';
import { DEFAULT_PRECISION, isModelPrecision, MODEL_PRECISIONS, type ModelPrecision } from '../core/embed/precision';
import { isThreadCount } from '../core/embed/threads';
import { numberOption, OptionSpec, UsageError } from './command';
import { resolveAnnotator } from '../core/tune/annotator';

/** Options several commands share, declared once so their names, defaults and help never drift apart. */
export const storeOptions = {
  store: {
    type: 'string',
    description: 'Folder of the embedded vector store.',
    default: path.join('.vectortune', 'store'),
  },
} satisfies Record<string, OptionSpec>;

/**
 * The Pinecone store, named after the extension's `vectorTune.pinecone.*` settings. Commands that take
 * these use the index instead of the embedded store in --store; the key comes only from PINECONE_API_KEY.
 */
export const pineconeOptions = {
  'pinecone-index': {
    type: 'string',
    description: 'Use this Pinecone index as the store instead of --store (API key from PINECONE_API_KEY).',
  },
  'pinecone-cloud': {
    type: 'string',
    description: 'Cloud of a Pinecone index that has to be created.',
    default: 'aws',
  },
  'pinecone-region': {
    type: 'string',
    description: 'Region of a Pinecone index that has to be created.',
    default: 'us-east-1',
  },
  'pinecone-host': { type: 'string', description: "The Pinecone index's data-plane URL (default: looked up by name)." },
  'pinecone-controller-host': {
    type: 'string',
    description: 'Pinecone control-plane URL (for tests against a local stand-in).',
  },
} satisfies Record<string, OptionSpec>;

export const headsOptions = {
  heads: {
    type: 'string',
    description: 'Folder that holds one sub-folder per head (commit it).',
    default: DEFAULT_HEADS_DIR,
  },
} satisfies Record<string, OptionSpec>;

/**
 * For commands that take several heads at once (export, predict): `--heads` names them, so the heads folder
 * that other commands call `--heads` is `--heads-dir` here.
 */
export const headListOptions = {
  heads: {
    type: 'string',
    description: 'The heads, by name, comma-separated (one output column each, in this order).',
  },
  'heads-dir': {
    type: 'string',
    description: headsOptions.heads.description,
    default: DEFAULT_HEADS_DIR,
  },
} satisfies Record<string, OptionSpec>;

/** The head names of --heads: at least one, none empty. */
export function headNames(value: string | undefined, command: string): string[] {
  const names = (value ?? '').split(',').map((n) => n.trim());
  if (names.some((n) => n === ''))
    throw new UsageError(
      '--heads needs the names of one or more heads, comma-separated (e.g. --heads hat,skirt).',
      undefined,
      `See: vector-tune ${command} --help`,
    );
  return names;
}

export const modelOptions = {
  model: {
    type: 'string',
    description: `CLIP model: a hub id (downloaded once, then cached) or a local folder in the transformers.js layout (default: $VECTOR_TUNE_MODEL, else ${DEFAULT_MODEL_ID}).`,
  },
  'model-cache': { type: 'string', description: 'Where downloaded models are cached.', default: defaultModelCache() },
  offline: { type: 'boolean', description: 'Never download; use only a local folder or the cache.' },
  precision: {
    type: 'string',
    description: `The model's precision: ${MODEL_PRECISIONS.join(', ')} (the ONNX files *_model.onnx, *_model_fp16.onnx, *_model_quantized.onnx); default ${DEFAULT_PRECISION}, and for a prompt the store's. A store holds vectors of one precision.`,
  },
  device: {
    type: 'string',
    description: `Where the model runs: ${DEVICES.join(', ')} (auto: the platform's accelerator, else the CPU; cuda on Linux x64, dml on Windows, coreml on macOS, webgpu experimental).`,
    default: 'cpu',
  },
  threads: {
    type: 'string',
    description:
      "onnxruntime's threads for the model (0: all cores; default: onnxruntime's own choice, one per physical core).",
  },
} satisfies Record<string, OptionSpec>;

/** How the model runs, from --precision, --device and --threads; a bad value is a usage error naming the option. */
export function modelRunOptions(
  values: { precision?: string; device?: string; threads?: string },
  fallbackPrecision: ModelPrecision = DEFAULT_PRECISION,
): {
  precision: ModelPrecision;
  device: Device;
  threads?: number;
} {
  const precision = values.precision ?? fallbackPrecision;
  if (!isModelPrecision(precision))
    throw new UsageError(`--precision ${precision}: use one of ${MODEL_PRECISIONS.join(', ')}.`);
  const device = values.device ?? 'cpu';
  if (!isDevice(device)) throw new UsageError(`--device ${device}: use one of ${DEVICES.join(', ')}.`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (values.threads!.trim() === '' || !isThreadCount(threads)))
    throw new UsageError(`--threads ${values.threads}: give a number of threads from 1 to 256, or 0 for all cores.`);
  return { precision, device, ...(threads === undefined ? {} : { threads }) };
}

export const trainingOptions = {
  'learning-rate': { type: 'string', description: 'SGD step size.', default: String(DEFAULT_TRAINING.learningRate) },
  steps: {
    type: 'string',
    description: 'SGD passes over the labels after each batch.',
    default: String(DEFAULT_TRAINING.stepsPerBatch),
  },
  minibatch: { type: 'string', description: 'SGD mini-batch size.', default: String(DEFAULT_TRAINING.batchSize) },
  l2: { type: 'string', description: 'L2 penalty on w.', default: String(DEFAULT_TRAINING.l2) },
  seed: {
    type: 'string',
    description: 'Seed of the SGD shuffling (training is reproducible).',
    default: String(DEFAULT_TRAINING.seed),
  },
} satisfies Record<string, OptionSpec>;

/** The training options as settings; the ranges are the weights file's (weights-schema.ts), named by option. */
export function trainingSettingsFrom(
  values: Record<keyof typeof trainingOptions, string | undefined>,
): TrainingSettings {
  const settings = {
    learningRate: numberOption(values['learning-rate'], 'learning-rate')!,
    stepsPerBatch: numberOption(values.steps, 'steps')!,
    batchSize: numberOption(values.minibatch, 'minibatch')!,
    l2: numberOption(values.l2, 'l2')!,
    seed: numberOption(values.seed, 'seed')!,
  };
  const problem = trainingProblem(settings);
  if (problem === null) return settings;
  const option = {
    learningRate: 'learning-rate',
    stepsPerBatch: 'steps',
    batchSize: 'minibatch',
    l2: 'l2',
    seed: 'seed',
  };
  const field = /^"training\.(\w+)"/.exec(problem)?.[1] as keyof typeof option | undefined;
  throw new UsageError(
    `${field ? `--${option[field]} ${values[option[field] as keyof typeof values]}` : 'the training options'}: ${problem.replace(/^"[^"]*" /, '')}.`,
  );
}

/** The model reference: --model if given, else VECTOR_TUNE_MODEL, else `fallback` (the default hub id). */
export function modelRef(value: string | undefined, env: NodeJS.ProcessEnv, fallback = DEFAULT_MODEL_ID): string {
  return value || env.VECTOR_TUNE_MODEL || fallback;
}

function defaultModelCache(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'vector-tune', 'models');
}

/** Who labels: recorded as `by` on the label lines a command writes (the extension's vectorTune.annotator). */
export const annotatorOptions = {
  by: {
    type: 'string',
    description: 'Record this annotator on new label lines (default: git user.email here, else the OS user).',
  },
  'no-by': { type: 'boolean', description: 'Record no annotator on new label lines.' },
} satisfies Record<string, OptionSpec>;

/** The annotator the annotator options choose, resolved in the command's folder (its git repository). */
export function annotatorFrom(values: { by?: string; 'no-by'?: boolean }, cwd: string): string | undefined {
  if (values['no-by'] && values.by !== undefined) throw new UsageError('--by and --no-by exclude each other.');
  return resolveAnnotator({ record: !values['no-by'], name: values.by }, cwd);
}
