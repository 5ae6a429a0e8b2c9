import * as path from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';
import { MODEL_PRECISIONS, type ModelPrecision } from '../../src/core/embed/precision';
import { DECODE_QUEUE_BATCHES } from '../../src/core/ingest/embed-files';

export const DATASETS = ['cifar10-test', 'clothing'] as const;
export type DatasetName = (typeof DATASETS)[number];
/**
 * The generated models: `fast` is the preset one thread runs at about 15 ms an image here (a laptop's faster
 * cores); vit-b-32-q8 is vit-b-32 with int8 weights (quantise.ts), and is not run by default.
 */
export const MODELS = ['vit-b-32', 'fast', 'tiny', 'vit-b-32-q8'] as const;
export type ModelName = (typeof MODELS)[number];

/**
 * How onnxruntime and sharp are set up in one measuring process:
 * `defaults` leaves both libraries as they come; `worker` is what the extension's engine worker does
 * (src/worker/native-threads.ts); a number N is N intra-op threads without spinning, sharp as it comes.
 */
export type ThreadMode = 'defaults' | 'worker' | number;

/**
 * How a pipeline variant decodes: `pool` on decode threads beside the model (as many as the thread mode leaves
 * cores, at least one; `pool-N`: N threads; `-xM`: M files at once per thread) with `--queue` batches queued; `inline-N` on the model's own thread
 * with sharp's work on libuv's pool, N batches read ahead (inline-0 was the extension's indexing before the
 * decode threads, inline-6 the CLI's).
 */
export interface Pipeline {
  name: string;
  /** undefined: as many as the thread mode leaves (decodeThreadsBeside). */
  decodeThreads?: number;
  readAhead: number;
  /** Files each decode thread decodes at once (`pool-xN`); undefined: indexing's default, DECODE_FILES_AT_ONCE. */
  filesAtOnce?: number;
}

export interface Options {
  /** Images per dataset (spread evenly over its sorted file list); undefined = all. */
  limit?: number;
  datasets: DatasetName[];
  models: ModelName[];
  threads: ThreadMode[];
  batchSizes: number[];
  /** The pipeline variants measured against the model alone. */
  pipelines: Pipeline[];
  /** Variants whose peak memory is measured, each in a process of its own. */
  memory: Pipeline[];
  /** Images indexed by each memory measurement. */
  memoryImages: number;
  /** Images per interleaved segment; undefined = chosen per model (a few seconds of work each). */
  segment?: number;
  out: string;
  /** Precisions compared side by side after the tables (precision.ts); empty: none. */
  precisions: ModelPrecision[];
}

export const USAGE = `npx tsx bench/indexing/main.ts [options]

  --limit N             images per dataset, spread over its files (default: all: 10,000 CIFAR-10, 3,781 clothing)
  --datasets a,b        ${DATASETS.join(',')} (default both)
  --models a,b          ${MODELS.join(',')} (default vit-b-32,fast; generated into .cache/models/ when missing)
  --threads a,b         defaults,worker and/or intra-op thread counts (default: defaults,worker)
  --batch a,b           images per model call (default 8)
  --pipelines a,b       pipeline variants: pool (decode threads beside the model, as indexing does), pool-N
                        (N decode threads), pool-xM or pool-N-xM (M files of a batch decoded at once by each
                        thread; default 1), inline-N (decoding on the model's thread, N batches read ahead;
                        inline-0 and inline-6 were the extension's and the CLI's indexing before the pool)
                        (default pool)
  --queue N             batches the pool variants keep queued (default ${DECODE_QUEUE_BATCHES}, as indexing)
  --memory a,b          variants whose peak RSS is measured, each in its own process (default inline-0,pool;
                        none: skip)
  --memory-images N     images each memory measurement indexes (default 192, from the first dataset)
  --segment N           images per interleaved segment (default: 96 for vit-b-32, 480 for fast, 1000 for tiny)
  --out DIR             where results.json and results.md go (default bench-results/indexing)
  --precisions a,b|none the ViT-B/32 model alone at these precisions side by side, per thread mode: images/s
                        and cosine to fp32 (default ${MODEL_PRECISIONS.join(',')}; see precision.ts)`;

function list<T>(flag: string, raw: string, parse: (s: string) => T | undefined): T[] {
  const values = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (values.length === 0) throw new Error(`${flag} needs at least one value`);
  return values.map((v) => {
    const parsed = parse(v);
    if (parsed === undefined) throw new Error(`${flag}: "${v}" is not a valid value (see --help)`);
    return parsed;
  });
}

const positive = (s: string) => (/^\d+$/.test(s) && Number(s) > 0 ? Number(s) : undefined);
const whole = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);
const oneOf =
  <T extends string>(known: readonly T[]) =>
  (s: string) =>
    known.includes(s as T) ? (s as T) : undefined;

/** What main.ts asks of one measuring process (measure.ts). */
export interface Job {
  /** throughput: every dataset and pipeline variant against the model alone; memory: one variant's peak RSS. */
  kind: 'throughput' | 'memory';
  model: ModelName;
  modelDir: string;
  threads: ThreadMode;
  options: Options;
  /** For a memory job: the index of the variant in options.memory. */
  variant?: number;
}

export function parseArgs(argv: string[]): Options {
  const { values: v } = nodeParseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(
        [
          'limit',
          'datasets',
          'models',
          'threads',
          'batch',
          'pipelines',
          'queue',
          'memory',
          'memory-images',
          'segment',
          'out',
          'precisions',
        ].map((name) => [name, { type: 'string' as const }]),
      ),
    },
  });
  const argsOf = v as Record<string, string | undefined>;
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const given = <T>(name: string, parse: (s: string) => T | undefined, fallback: T[]): T[] =>
    argsOf[name] === undefined ? fallback : list(`--${name}`, argsOf[name], parse);
  const queue = given('queue', whole, [DECODE_QUEUE_BATCHES])[0];
  return {
    limit: given('limit', positive, [undefined as number | undefined])[0],
    datasets: given('datasets', oneOf(DATASETS), [...DATASETS]),
    models: given('models', oneOf(MODELS), ['vit-b-32', 'fast']),
    threads: given('threads', (s): ThreadMode | undefined => (s === 'defaults' || s === 'worker' ? s : positive(s)), [
      'defaults',
      'worker',
    ]),
    batchSizes: given('batch', positive, [8]),
    pipelines: given('pipelines', pipeline(queue), [pipeline(queue)('pool')!]),
    memory:
      argsOf.memory === 'none'
        ? []
        : given('memory', pipeline(queue), [pipeline(queue)('inline-0')!, pipeline(queue)('pool')!]),
    memoryImages: given('memory-images', positive, [192])[0],
    segment: given('segment', positive, [undefined as number | undefined])[0],
    out: path.resolve(argsOf.out ?? path.join(__dirname, '..', '..', 'bench-results', 'indexing')),
    precisions: argsOf.precisions === 'none' ? [] : given('precisions', oneOf(MODEL_PRECISIONS), [...MODEL_PRECISIONS]),
  };
}

/** Parses a --pipelines name (see Pipeline). */
const pipeline =
  (queue: number) =>
  (s: string): Pipeline | undefined => {
    const m = /^(pool|inline)(?:-(\d+))?(?:-x(\d+))?$/.exec(s);
    if (!m || (m[1] === 'inline' && (m[2] === undefined || m[3] !== undefined))) return undefined;
    if (m[1] === 'inline') return { name: s, decodeThreads: 0, readAhead: Number(m[2]) };
    if ((m[2] !== undefined && Number(m[2]) < 1) || (m[3] !== undefined && Number(m[3]) < 1)) return undefined;
    return {
      name: s,
      decodeThreads: m[2] === undefined ? undefined : Number(m[2]),
      readAhead: queue,
      filesAtOnce: m[3] === undefined ? undefined : Number(m[3]),
    };
  };

/** Segments of a few seconds of work each. */
const SEGMENTS: Partial<Record<ModelName, number>> = { tiny: 1000, fast: 480 };

export function segmentSize(o: Options, model: ModelName): number {
  return o.segment ?? SEGMENTS[model] ?? 96;
}
