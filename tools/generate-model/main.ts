/**
 * Command line: npx tsx tools/generate-model/main.ts --out DIR [--preset tiny|vit-b-32|fast] [--seed N]
 * (bundled to dist/generate-model.js: `node dist/generate-model.js --out DIR ...`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLIP_PRESETS, DEFAULT_SEED, GENERATED_FILES, generateClipModel, isPresetName } from './generate';

const USAGE = `usage: generate-model --out DIR [--preset ${Object.keys(CLIP_PRESETS).join('|')}] [--seed N]

Writes a CLIP-shaped model with random weights (config, tokenizer, onnx/vision_model.onnx,
onnx/text_model.onnx) in the layout transformers.js loads. The embeddings mean nothing: it is a
stand-in for tests and speed measurements. The vit-b-32 preset writes about 350 MB.`;

interface Args {
  out: string;
  preset: string;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  let out: string | undefined;
  let preset = 'tiny';
  let seed = DEFAULT_SEED;
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
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${arg}`);
  }
  if (!out) throw new UsageError('--out DIR is required');
  if (!isPresetName(preset)) throw new UsageError(`unknown preset ${preset}`);
  return { out, preset, seed };
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const outDir = path.resolve(args.out);
  const started = Date.now();
  await generateClipModel(outDir, CLIP_PRESETS[args.preset as keyof typeof CLIP_PRESETS], args.seed);
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  console.log(`Generated ${args.preset} (seed ${args.seed}) in ${seconds} s: ${outDir}`);
  for (const f of GENERATED_FILES) {
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
