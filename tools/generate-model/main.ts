/**
 * Command line: npx tsx tools/generate-model/main.ts --out DIR [--preset tiny|vit-b-32|fast] [--seed N] [--precisions fp16,q8]
 * (bundled to dist/generate-model.js: `node dist/generate-model.js --out DIR ...`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnxFileName } from '../../src/core/embed/model-ref';
import { isModelPrecision, MODEL_PRECISIONS, type ModelPrecision } from '../../src/core/embed/precision';
import { CLIP_PRESETS, DEFAULT_SEED, GENERATED_FILES, generateClipModel, isPresetName } from './generate';
import { writePrecisionVariants } from './variants';

const USAGE = `usage: generate-model --out DIR [--preset ${Object.keys(CLIP_PRESETS).join('|')}] [--seed N] [--precisions fp16,q8]

Writes a CLIP-shaped model with random weights (config, tokenizer, onnx/vision_model.onnx,
onnx/text_model.onnx) in the layout transformers.js loads. The embeddings mean nothing: it is a
stand-in for tests and speed measurements. The vit-b-32 preset writes about 350 MB.
--precisions also writes the towers at those precisions (${MODEL_PRECISIONS.join(', ')}) under the
names transformers.js loads for them (*_model_fp16.onnx, *_model_quantized.onnx).`;

interface Args {
  out: string;
  preset: string;
  seed: number;
  precisions: ModelPrecision[];
}

function parseArgs(argv: string[]): Args {
  let out: string | undefined;
  let preset = 'tiny';
  let seed = DEFAULT_SEED;
  let precisions: ModelPrecision[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--out') out = value();
    else if (arg === '--preset') preset = value();
    else if (arg === '--seed') {
      const raw = value();
      seed = Number(raw);
      if (!/^\d+$/.test(raw) || seed > 0xffffffff)
        throw new UsageError(`--seed must be an integer in [0, 4294967295], got ${raw}`);
    } else if (arg === '--precisions') {
      const given = value().split(',');
      const unknown = given.filter((p) => !isModelPrecision(p));
      if (unknown.length > 0)
        throw new UsageError(`--precisions: unknown ${unknown.join(', ')} (use ${MODEL_PRECISIONS.join(', ')})`);
      precisions = given as ModelPrecision[];
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${arg}`);
  }
  if (!out) throw new UsageError('--out DIR is required');
  if (!isPresetName(preset)) throw new UsageError(`unknown preset ${preset}`);
  return { out, preset, seed, precisions };
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const outDir = path.resolve(args.out);
  const started = Date.now();
  await generateClipModel(outDir, CLIP_PRESETS[args.preset as keyof typeof CLIP_PRESETS], args.seed);
  await writePrecisionVariants(outDir, args.precisions);
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  console.log(`Generated ${args.preset} (seed ${args.seed}) in ${seconds} s: ${outDir}`);
  const variants = args.precisions.flatMap((p) =>
    p === 'fp32' ? [] : [onnxFileName('vision', p), onnxFileName('text', p)],
  );
  for (const f of [...GENERATED_FILES, ...variants]) {
    const size = fs.statSync(path.join(outDir, f)).size;
    console.log(`  ${f.padEnd(26)} ${(size / 1e6).toFixed(2).padStart(8)} MB`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
