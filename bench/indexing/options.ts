import * as path from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';
import { MODEL_PRECISIONS, type ModelPrecision } from '../../src/core/embed/precision';

export const DATASETS = ['cifar10-test', 'clothing'] as const;
export type DatasetName = (typeof DATASETS)[number];
/** The generated models; vit-b-32-q8 is vit-b-32 with int8 weights (quantise.ts), and is not run by default. */
export const MODELS = ['vit-b-32', 'tiny', 'vit-b-32-q8'] as const;
export type ModelName = (typeof MODELS)[number];

/**
 * How onnxruntime and sharp are set up in one measuring process:
 * `defaults` leaves both libraries as they come; `worker` is what the extension's engine worker does
 * (src/worker/native-threads.ts); a number N is N intra-op threads without spinning, sharp as it comes.
 */
export type ThreadMode = 'defaults' | 'worker' | number;

export interface Options {
  /** Images per dataset (spread evenly over its sorted file list); undefined = all. */
  limit?: number;
  datasets: DatasetName[];
  models: ModelName[];
  threads: ThreadMode[];
  batchSizes: number[];
  /** Pipeline variants: batches prepared ahead of the model (0 = one step after the other, as indexing does). */
  readAheads: number[];
  /** Images per interleaved segment; undefined = chosen per model (a few seconds of work each). */
  segment?: number;
  out: string;
  /** Precisions compared side by side after the tables (precision.ts); empty: none. */
  precisions: ModelPrecision[];
}

export const USAGE = `npx tsx bench/indexing/main.ts [options]

  --limit N             images per dataset, spread over its files (default: all: 10,000 CIFAR-10, 3,781 clothing)
  --datasets a,b        ${DATASETS.join(',')} (default both)
  --models a,b          ${MODELS.join(',')} (default vit-b-32,tiny; generated into .cache/models/ when missing)
  --threads a,b         defaults,worker and/or intra-op thread counts (default: defaults,worker)
  --batch a,b           images per model call (default 8)
  --read-ahead a,b      pipeline variants: batches prepared ahead of the model (default 0, what indexing
                        does; 0,6 compares it with reading 6 batches ahead)
  --segment N           images per interleaved segment (default: 96 for vit-b-32, 1000 for tiny)
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

export function parseArgs(argv: string[]): Options {
  const { values: v } = nodeParseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(
        ['limit', 'datasets', 'models', 'threads', 'batch', 'read-ahead', 'segment', 'out', 'precisions'].map(
          (name) => [name, { type: 'string' as const }],
        ),
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
  return {
    limit: given('limit', positive, [undefined as number | undefined])[0],
    datasets: given('datasets', oneOf(DATASETS), [...DATASETS]),
    models: given('models', oneOf(MODELS), ['vit-b-32', 'tiny']),
    threads: given('threads', (s): ThreadMode | undefined => (s === 'defaults' || s === 'worker' ? s : positive(s)), [
      'defaults',
      'worker',
    ]),
    batchSizes: given('batch', positive, [8]),
    readAheads: given('read-ahead', whole, [0]),
    segment: given('segment', positive, [undefined as number | undefined])[0],
    out: path.resolve(argsOf.out ?? path.join(__dirname, '..', '..', 'bench-results', 'indexing')),
    precisions: argsOf.precisions === 'none' ? [] : given('precisions', oneOf(MODEL_PRECISIONS), [...MODEL_PRECISIONS]),
  };
}

export function segmentSize(o: Options, model: ModelName): number {
  return o.segment ?? (model === 'tiny' ? 1000 : 96);
}
