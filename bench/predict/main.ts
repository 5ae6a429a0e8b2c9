/**
 * Predict throughput: images per second of `vector-tune predict` (predictFolder as the CLI runs it: walk,
 * decode, preprocess, model, three heads, CSV rows; onnxruntime's default threads, 6 batches read ahead) against
 * the vision model alone on pre-made tensors of the same batch size, interleaved in one process, for the
 * generated ViT-B/32-shaped model and the small test model, on the 372 clothing test photos (../shared/data).
 * The heads are random unit vectors: a head is one dot product per image, so what they hold does not change
 * the speed (the generated model's embeddings carry no meaning for a trained head anyway).
 *
 *   npx tsx bench/predict/main.ts [--rounds N] [--models tiny,vit-b-32]     (npm run bench:predict)
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadClip, type ClipEncoder, type PixelBatch } from '../../src/core/embed/clip';
import { decodeImage } from '../../src/core/embed/image';
import type { CommittedHead } from '../../src/core/eval/committed-heads';
import { predictFolder } from '../../src/core/predict/predict-folder';
import { weightsFor } from '../../test/helpers/head-weights';
import { randomUnitVectors } from '../../test/helpers/vectors';
import { SHARED_DATA } from '../indexing/data';
import { ensureModel } from '../indexing/models';

const BATCH = 8;
const READ_AHEAD = 6; // the CLI's (src/cli/commands/predict-command.ts)
const FOLDER = path.join(SHARED_DATA, 'clothing', 'test');

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

async function premade(encoder: ClipEncoder, files: string[]): Promise<PixelBatch[]> {
  const batches: PixelBatch[] = [];
  for (let i = 0; i < 4 * BATCH; i += BATCH) {
    const decoded = await Promise.all(
      files.slice(i, i + BATCH).map((f) => decodeImage(f, { targetShortSide: encoder.imageSize })),
    );
    batches.push(await encoder.preprocessImages(decoded.map((d) => (d.ok ? d.image : assert(d.reason)))));
  }
  return batches;
}

function assert(reason: string): never {
  throw new Error(reason);
}

async function modelAlone(encoder: ClipEncoder, batches: PixelBatch[], images: number): Promise<number> {
  const calls = Math.ceil(images / BATCH);
  const t0 = performance.now();
  for (let c = 0; c < calls; c++) await encoder.embedPixels(batches[c % batches.length]);
  return (calls * BATCH) / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const rounds = Number(option('rounds', '2'));
  const models = option('models', 'tiny,vit-b-32').split(',') as ('tiny' | 'vit-b-32')[];
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-bench-predict-'));
  const lines: string[] = [];
  try {
    for (const name of models) {
      const modelDir = await ensureModel(name, (s) => process.stderr.write(`  ${s}\n`));
      const encoder = await loadClip(modelDir);
      const heads: CommittedHead[] = ['a', 'b', 'c'].map((h, i) => ({
        weights: weightsFor(h, encoder.modelId, Array.from(randomUnitVectors(1, encoder.dimension, i + 1))),
        weightsSha256: '',
        lastReport: null,
      }));
      const { images } = await import('../../src/core/ingest/walk').then((w) => w.listImageFiles(FOLDER));
      const batches = await premade(encoder, images);
      await encoder.embedPixels(batches[0]); // warm-up
      const alone: number[] = [];
      const predicted: number[] = [];
      for (let r = 0; r < rounds; r++) {
        alone.push(await modelAlone(encoder, batches, images.length));
        const report = await predictFolder({
          heads,
          threshold: 'zero',
          folder: FOLDER,
          root: SHARED_DATA,
          embedder: encoder,
          out: path.join(scratch, `${name}-${r}.csv`),
          batchSize: BATCH,
          readAhead: READ_AHEAD,
        });
        if (report.failed.length > 0) throw new Error(`${report.failed.length} images failed`);
        predicted.push(report.total / report.seconds);
      }
      await encoder.dispose();
      const best = (xs: number[]) => Math.max(...xs);
      const line =
        `${name.padEnd(9)} ${String(images.length).padStart(6)}  ${best(predicted).toFixed(1).padStart(10)}  ` +
        `${best(alone).toFixed(1).padStart(11)}  ${((100 * best(predicted)) / best(alone)).toFixed(1).padStart(6)}%   ` +
        `${predicted.map((x) => x.toFixed(1)).join(', ')} | ${alone.map((x) => x.toFixed(1)).join(', ')}`;
      lines.push(line);
      process.stderr.write(`  ${line}\n`);
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  console.log(
    [
      `Predict throughput: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; batch ${BATCH}, 3 heads, CSV out.`,
      `Photos: ${path.relative(process.cwd(), FOLDER)}; best of ${rounds} rounds, interleaved; images/s.`,
      '',
      'model      images  predict/s  model alone/s   ratio   every round (predict | model alone)',
      ...lines,
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
