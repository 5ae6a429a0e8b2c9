/**
 * The model's precisions and devices side by side on the generated ViT-B/32 (real images of both datasets):
 * images per second of the model alone, measured interleaved in one process, and how close each variant's
 * embeddings stay to fp32 on the CPU (cosine of the two embeddings of the same image). bench:index prints it
 * after its own tables; bench:devices runs it over every device, and says why a device is not available.
 *
 *   npx tsx bench/indexing/precision.ts [--images 64] [--rounds 6] [--batch 8] [--threads defaults|worker|N]
 *                                       [--precisions fp32,fp16,q8] [--devices cpu,auto,...]
 *
 * With the generated model (random weights) the cosines measure the rounding of that network, not of the
 * trained CLIP, whose activations are distributed differently: a real model needs its own check.
 */
import { statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { ClipEncoder, PixelBatch } from '../../src/core/embed/clip';
import { type Device, DEVICES, isDevice } from '../../src/core/embed/device';
import { decodeImage } from '../../src/core/embed/image';
import { onnxFileName } from '../../src/core/embed/model-ref';
import { isModelPrecision, MODEL_PRECISIONS, type ModelPrecision } from '../../src/core/embed/precision';
import { writePrecisionVariants } from '../../tools/generate-model/variants';
import { datasetFiles } from './data';
import { ensureModel, loadWithThreads } from './models';
import { DATASETS, ThreadMode } from './options';
import { table } from './tables';

export interface ComparisonArgs {
  /** Images per dataset for the cosines; the speed runs on the first 4 batches of each. */
  images: number;
  rounds: number;
  batch: number;
  threads: ThreadMode;
  precisions: ModelPrecision[];
  devices: Device[];
}

export const DEFAULT_COMPARISON: ComparisonArgs = {
  images: 64,
  rounds: 6,
  batch: 8,
  threads: 'worker',
  precisions: [...MODEL_PRECISIONS],
  devices: ['cpu'],
};

interface Variant {
  device: Device;
  precision: ModelPrecision;
  encoder?: ClipEncoder;
  /** Why it could not be loaded. */
  failed?: string;
  images: number;
  seconds: number;
  cosines: number[];
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function batchesOf(encoder: ClipEncoder, files: string[], batch: number): Promise<PixelBatch[]> {
  const out: PixelBatch[] = [];
  for (let i = 0; i < files.length; i += batch) {
    const decoded = await Promise.all(
      files.slice(i, i + batch).map((f) => decodeImage(f, { targetShortSide: encoder.imageSize })),
    );
    out.push(await encoder.preprocessImages(decoded.flatMap((d) => (d.ok ? [d.image] : []))));
  }
  return out;
}

async function load(dir: string, a: ComparisonArgs, device: Device, precision: ModelPrecision): Promise<Variant> {
  const variant: Variant = { device, precision, images: 0, seconds: 0, cosines: [] };
  try {
    variant.encoder = (await loadWithThreads(dir, a.threads, precision, device)).encoder;
  } catch (err) {
    variant.failed = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
  return variant;
}

/** Runs the comparison; returns the table as text and every figure. */
export async function comparePrecisions(
  a: ComparisonArgs,
  log: (line: string) => void,
): Promise<{ text: string; variants: Omit<Variant, 'encoder'>[] }> {
  const dir = await writePrecisionVariants(await ensureModel('vit-b-32', log), a.precisions, log);
  const reference = await loadWithThreads(dir, a.threads, 'fp32', 'cpu');
  const variants: Variant[] = [];
  for (const device of a.devices) {
    for (const precision of a.precisions) {
      // A device that cannot start is not tried again at the next precision.
      const failed = variants.find((v) => v.device === device && v.failed)?.failed;
      variants.push(
        failed
          ? { device, precision, failed, images: 0, seconds: 0, cosines: [] }
          : await load(dir, a, device, precision),
      );
    }
  }
  const running = variants.filter((v) => v.encoder);
  try {
    for (const dataset of DATASETS) {
      const { files } = await datasetFiles(dataset, a.images);
      const batches = await batchesOf(reference.encoder, files, a.batch);
      log(`precision comparison: ${dataset}, ${files.length} images, ${running.length} variants`);
      for (const b of batches) {
        const want = await reference.encoder.embedPixels(b);
        for (const v of running) (await v.encoder!.embedPixels(b)).forEach((x, i) => v.cosines.push(dot(x, want[i])));
      }
      // Speed: the variants take turns on the same batches, in an order that rotates every round.
      const timed = batches.slice(0, 4);
      for (let r = 0; r < a.rounds; r++) {
        for (let k = 0; k < running.length; k++) {
          const v = running[(k + r) % running.length];
          const t = performance.now();
          for (const b of timed) await v.encoder!.embedPixels(b);
          v.seconds += (performance.now() - t) / 1000;
          v.images += timed.reduce((n, b) => n + b.count, 0);
        }
      }
    }
  } finally {
    await reference.encoder.dispose();
    for (const v of running) await v.encoder!.dispose();
  }
  return { text: render(a, dir, reference.threads.onnxIntraOp, variants), variants: variants.map(withoutEncoder) };
}

function withoutEncoder({ encoder, ...rest }: Variant): Omit<Variant, 'encoder'> {
  return { ...rest, cosines: [...rest.cosines], ...(encoder ? { ranOn: encoder.device } : {}) };
}

function render(a: ComparisonArgs, dir: string, intraOp: string, variants: Variant[]): string {
  const baseline = variants.find((v) => v.device === 'cpu' && v.precision === 'fp32' && v.encoder);
  const rate = (v: Variant) => v.images / v.seconds;
  const rows = variants.map((v) => {
    const file = `${(statSync(path.join(dir, onnxFileName('vision', v.precision))).size / 1e6).toFixed(0)} MB`;
    if (!v.encoder) return [v.device, v.precision, 'not available (below)', '-', '-', '-', '-', '-', file];
    const sorted = [...v.cosines].sort((p, q) => p - q);
    return [
      v.device,
      v.precision,
      v.encoder.device,
      rate(v).toFixed(1),
      baseline ? `${(rate(v) / rate(baseline)).toFixed(2)}x` : '-',
      sorted[0].toFixed(5),
      quantile(sorted, 0.05).toFixed(5),
      quantile(sorted, 0.5).toFixed(5),
      file,
    ];
  });
  return [
    `Precision and device: generated ViT-B/32 (random weights), model alone on pre-made inputs, batch ${a.batch}, ` +
      `threads ${a.threads} (onnxruntime intra-op ${intraOp}), ${os.availableParallelism()} cores; ` +
      `cosine to the fp32 CPU embedding of the same image over ${a.images} images of each of ${DATASETS.join(', ')}.`,
    table(
      ['device', 'precision', 'ran on', 'images/s', 'vs fp32 cpu', 'cosine min', '5th pct', 'median', 'vision file'],
      rows,
    ),
    ...[...new Map(variants.filter((v) => v.failed).map((v) => [v.device, v.failed])).entries()].map(
      ([device, why]) => `${device}: not available: ${why}`,
    ),
  ].join('\n');
}

function parse(argv: string[]): ComparisonArgs {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: Object.fromEntries(
      ['images', 'rounds', 'batch', 'threads', 'precisions', 'devices'].map((n) => [n, { type: 'string' as const }]),
    ),
  });
  const positive = (name: keyof typeof v, fallback: number) => {
    const n = v[name] === undefined ? fallback : Number(v[name]);
    if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name} takes a positive whole number`);
    return n;
  };
  const list = <T>(name: keyof typeof v, ok: (s: string) => s is T & string, fallback: T[], known: readonly T[]) => {
    const items = v[name]?.split(',') ?? fallback;
    const bad = items.filter((s) => !ok(s as string));
    if (bad.length > 0) throw new Error(`--${name}: unknown ${bad.join(', ')} (known: ${known.join(', ')})`);
    return items as T[];
  };
  const threads = v.threads ?? DEFAULT_COMPARISON.threads;
  return {
    images: positive('images', DEFAULT_COMPARISON.images),
    rounds: positive('rounds', DEFAULT_COMPARISON.rounds),
    batch: positive('batch', DEFAULT_COMPARISON.batch),
    threads: threads === 'defaults' || threads === 'worker' ? threads : Number(threads),
    precisions: list('precisions', isModelPrecision, DEFAULT_COMPARISON.precisions, MODEL_PRECISIONS),
    devices: list('devices', isDevice, DEFAULT_COMPARISON.devices, DEVICES),
  };
}

if (require.main === module) {
  const started = Date.now();
  const a = parse(process.argv.slice(2));
  comparePrecisions(a, (s) => process.stderr.write(`  ${s}\n`))
    .then(async ({ text, variants }) => {
      console.log(text);
      const out = path.resolve(__dirname, '..', '..', 'bench-results', 'indexing');
      await fs.mkdir(out, { recursive: true });
      await fs.writeFile(path.join(out, 'precision.json'), JSON.stringify({ args: a, variants }, null, 1) + '\n');
      console.log(
        `total time ${((Date.now() - started) / 1000).toFixed(0)} s; figures in bench-results/indexing/precision.json`,
      );
    })
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
