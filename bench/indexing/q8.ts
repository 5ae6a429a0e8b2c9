/**
 * The quantised (q8) vision model against fp32: model-alone speed, interleaved in one process, and how close
 * its embeddings stay (cosine to the fp32 embedding of the same image) on real images of both datasets.
 *
 *   npx tsx bench/indexing/q8.ts [--images 64] [--rounds 6] [--batch 8] [--threads defaults|worker|N]
 *
 * With the generated ViT-B/32 (random weights) the cosines measure the quantisation error of that network,
 * not of the trained CLIP, whose activations are distributed differently: a real model needs its own check.
 */
import { statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClipEncoder, PixelBatch } from '../../src/core/embed/clip';
import { decodeImage } from '../../src/core/embed/image';
import { datasetFiles } from './data';
import { ensureModel, loadWithThreads } from './models';
import { DATASETS, ThreadMode } from './options';
import { ensureQuantised } from './quantise';
import { table } from './tables';

interface Args {
  images: number;
  rounds: number;
  batch: number;
  threads: ThreadMode;
}

function parse(argv: string[]): Args {
  const a: Args = { images: 64, rounds: 6, batch: 8, threads: 'defaults' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (flag === '--threads') a.threads = v === 'defaults' || v === 'worker' ? v : Number(v);
    else if (flag === '--images' || flag === '--rounds' || flag === '--batch')
      a[flag.slice(2) as 'images' | 'rounds' | 'batch'] = Number(v);
    else
      throw new Error(
        `unknown argument ${flag}; usage: q8.ts [--images 64] [--rounds 6] [--batch 8] [--threads defaults|worker|N]`,
      );
  }
  for (const [k, v] of Object.entries(a))
    if (typeof v === 'number' && !(Number.isInteger(v) && v > 0)) throw new Error(`--${k} takes a positive integer`);
  return a;
}

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

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`  ${s}\n`);
  const dir = await ensureQuantised(await ensureModel('vit-b-32', log), log);
  const { encoder: fp32, threads } = await loadWithThreads(dir, a.threads);
  const { encoder: q8 } = await loadWithThreads(dir, a.threads, 'q8');
  try {
    const rows: string[][] = [];
    const speed = { fp32: { images: 0, seconds: 0 }, q8: { images: 0, seconds: 0 } };
    const cosines: number[] = [];
    for (const dataset of DATASETS) {
      const { files } = await datasetFiles(dataset, a.images);
      const batches = await batchesOf(fp32, files, a.batch);
      const mine: number[] = [];
      for (const b of batches) {
        const [x, y] = [await fp32.embedPixels(b), await q8.embedPixels(b)];
        x.forEach((v, i) => mine.push(dot(v, y[i])));
      }
      mine.sort((p, q) => p - q);
      cosines.push(...mine);
      rows.push([
        dataset,
        String(mine.length),
        mine[0].toFixed(4),
        quantile(mine, 0.05).toFixed(4),
        quantile(mine, 0.5).toFixed(4),
      ]);
      // Speed, interleaved: the two models take turns, the order swapped every round.
      for (let r = 0; r < a.rounds; r++) {
        for (const name of r % 2 ? (['q8', 'fp32'] as const) : (['fp32', 'q8'] as const)) {
          const encoder = name === 'fp32' ? fp32 : q8;
          const t = performance.now();
          for (const b of batches.slice(0, 4)) await encoder.embedPixels(b);
          speed[name].seconds += (performance.now() - t) / 1000;
          speed[name].images += batches.slice(0, 4).reduce((n, b) => n + b.count, 0);
        }
      }
    }
    const rate = (s: { images: number; seconds: number }) => s.images / s.seconds;
    const text = [
      `q8 (int8 weights per column, DynamicQuantizeMatMul) against fp32, generated ViT-B/32, batch ${a.batch}, threads ${a.threads} ` +
        `(onnx intra-op ${threads.onnxIntraOp}), ${os.availableParallelism()} cores.`,
      '',
      'Cosine of the q8 embedding to the fp32 embedding of the same image:',
      table(['dataset', 'images', 'min', '5th percentile', 'median'], rows),
      '',
      'Model alone, images/s (interleaved):',
      table(
        ['fp32', 'q8', 'q8 / fp32'],
        [
          [
            rate(speed.fp32).toFixed(1),
            rate(speed.q8).toFixed(1),
            `${(rate(speed.q8) / rate(speed.fp32)).toFixed(2)}x`,
          ],
        ],
      ),
      '',
      `model files: fp32 ${mb(path.join(dir, 'onnx', 'vision_model.onnx'))}, q8 ${mb(path.join(dir, 'onnx', 'vision_model_quantized.onnx'))}`,
    ].join('\n');
    console.log(text);
    const out = path.resolve(__dirname, '..', '..', 'bench-results', 'indexing');
    await fs.mkdir(out, { recursive: true });
    await fs.writeFile(path.join(out, 'q8.json'), JSON.stringify({ args: a, threads, cosines, speed }, null, 1) + '\n');
  } finally {
    await fp32.dispose();
    await q8.dispose();
  }
}

function mb(file: string): string {
  return `${(statSync(file).size / 1e6).toFixed(0)} MB`;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
