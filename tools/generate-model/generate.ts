/**
 * Writes a CLIP-shaped model folder in the transformers.js layout:
 *   config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json,
 *   onnx/vision_model.onnx, onnx/text_model.onnx
 * Same shape and seed => byte-identical files.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { buildConfig, buildPreprocessorConfig, jsonText } from './configs';
import { ClipModelShape, CLIP_PRESETS, validateShape } from './shape';
import { buildTextModel } from './text';
import { buildTokenizerConfig, buildTokenizerJson } from './tokenizer';
import { buildVisionModel } from './vision';

export { CLIP_PRESETS, CLIP_VOCAB_SIZE, isPresetName } from './shape';
export type { ClipModelShape, PresetName } from './shape';

export const DEFAULT_SEED = 42;

/** The files a generated folder holds, relative to it. */
export const GENERATED_FILES = [
  'config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/vision_model.onnx',
  'onnx/text_model.onnx',
] as const;

/**
 * Generates the model into `outDir` (created if needed; existing files of the same names are replaced).
 * `shape` overrides fields of the tiny preset.
 */
export async function generateClipModel(
  outDir: string,
  shape: Partial<ClipModelShape> = {},
  seed: number = DEFAULT_SEED,
): Promise<void> {
  const full: ClipModelShape = { ...CLIP_PRESETS.tiny, ...shape };
  validateShape(full);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);

  await fs.mkdir(path.join(outDir, 'onnx'), { recursive: true });
  await writeFileAtomic(path.join(outDir, 'config.json'), jsonText(buildConfig(full, seed)));
  await writeFileAtomic(path.join(outDir, 'preprocessor_config.json'), jsonText(buildPreprocessorConfig(full)));
  await writeFileAtomic(path.join(outDir, 'tokenizer.json'), buildTokenizerJson());
  await writeFileAtomic(path.join(outDir, 'tokenizer_config.json'), jsonText(buildTokenizerConfig(full.contextLength)));
  // One tower at a time, each written before the next is built, to keep peak memory to one model's weights.
  await writeFileAtomic(path.join(outDir, 'onnx', 'vision_model.onnx'), buildVisionModel(full, seed));
  await writeFileAtomic(path.join(outDir, 'onnx', 'text_model.onnx'), buildTextModel(full, seed));
}

/** Write to a temporary name then rename, so an interrupted run never leaves a half-written model behind. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}
