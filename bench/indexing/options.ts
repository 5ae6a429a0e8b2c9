import * as path from 'node:path';

export const DATASETS = ['cifar10-test', 'clothing'] as const;
export type DatasetName = (typeof DATASETS)[number];
export const MODELS = ['vit-b-32', 'tiny'] as const;
export type ModelName = (typeof MODELS)[number];

/**
 * How onnxruntime and sharp are set up in one measuring process:
 * `defaults` leaves both libraries as they come; `worker` is what the extension's engine worker does
 * (src/worker/native-threads.ts); a number N is N intra-op threads without spinning, sharp as it comes.
 */
export type ThreadMode = 'defaults' | 'worker' | number;

/** A number of batches, or 'auto': what indexing does by default (defaultReadAhead in embed-files.ts). */
export type ReadAhead = number | 'auto';

export interface Options {
  /** Images per dataset (spread evenly over its sorted file list); undefined = all. */
  limit?: number;
  datasets: DatasetName[];
  models: ModelName[];
  threads: ThreadMode[];
  batchSizes: number[];
  /** Pipeline variants: batches prepared ahead of the model (0 = one step after the other; 'auto' = the default). */
  readAheads: ReadAhead[];
  /** Images per interleaved segment; undefined = chosen per model (a few seconds of work each). */
  segment?: number;
  out: string;
}

export const USAGE = `npx tsx bench/indexing/main.ts [options]

  --limit N             images per dataset, spread over its files (default: all: 10,000 CIFAR-10, 3,781 clothing)
  --datasets a,b        ${DATASETS.join(',')} (default both)
  --models a,b          ${MODELS.join(',')} (default both; generated into .cache/models/ when missing)
  --threads a,b         defaults,worker and/or intra-op thread counts (default: defaults,worker)
  --batch a,b           images per model call (default 8)
  --read-ahead a,b      pipeline variants: batches prepared ahead, or auto = the default (default: auto;
                        0,auto compares with preparing each batch only when the model wants it)
  --segment N           images per interleaved segment (default: 96 for vit-b-32, 1000 for tiny)
  --out DIR             where results.json and results.md go (default bench-results/indexing)`;

function list<T>(flag: string, raw: string, parse: (s: string) => T | undefined): T[] {
  const values = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.length === 0) throw new Error(`${flag} needs at least one value`);
  return values.map((v) => {
    const parsed = parse(v);
    if (parsed === undefined) throw new Error(`${flag}: "${v}" is not a valid value (see --help)`);
    return parsed;
  });
}

const positive = (s: string) => (/^\d+$/.test(s) && Number(s) > 0 ? Number(s) : undefined);
const whole = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);
const oneOf = <T extends string>(known: readonly T[]) => (s: string) => (known.includes(s as T) ? (s as T) : undefined);

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    datasets: [...DATASETS],
    models: [...MODELS],
    threads: ['defaults', 'worker'],
    batchSizes: [8],
    readAheads: ['auto'],
    out: path.resolve(__dirname, '..', '..', 'bench-results', 'indexing'),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--limit') o.limit = list(flag, value(), positive)[0];
    else if (flag === '--datasets') o.datasets = list(flag, value(), oneOf(DATASETS));
    else if (flag === '--models') o.models = list(flag, value(), oneOf(MODELS));
    else if (flag === '--threads') o.threads = list(flag, value(), (s): ThreadMode | undefined => (s === 'defaults' || s === 'worker' ? s : positive(s)));
    else if (flag === '--batch') o.batchSizes = list(flag, value(), positive);
    else if (flag === '--read-ahead') o.readAheads = list(flag, value(), (v): ReadAhead | undefined => (v === 'auto' ? v : whole(v)));
    else if (flag === '--segment') o.segment = list(flag, value(), positive)[0];
    else if (flag === '--out') o.out = path.resolve(value());
    else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${flag} (see --help)`);
  }
  return o;
}

export function segmentSize(o: Options, model: ModelName): number {
  return o.segment ?? (model === 'vit-b-32' ? 96 : 1000);
}
