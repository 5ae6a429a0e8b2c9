import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClipDtype, ClipEncoder, loadClip } from '../../src/core/embed/clip';
import type { Device } from '../../src/core/embed/device';
import { getSharp } from '../../src/core/embed/image';
import { applyThreadSettings, chooseThreadSettings, withThreadDefaults } from '../../src/worker/native-threads';
import { CLIP_PRESETS, generateClipModel } from '../../tools/generate-model/generate';
import { writePrecisionVariants } from '../../tools/generate-model/variants';
import type { ModelName, ThreadMode } from './options';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Which ONNX files of the folder a model name means. */
export function dtypeOf(name: ModelName): ClipDtype {
  return name === 'vit-b-32-q8' ? 'q8' : 'fp32';
}

/**
 * The generated model's folder (git-ignored .cache), made on first use: ViT-B/32 shapes take a few seconds,
 * quantising them a few more.
 */
export async function ensureModel(name: ModelName, log: (s: string) => void): Promise<string> {
  const preset = name === 'vit-b-32-q8' ? 'vit-b-32' : name;
  const dir = path.join(REPO_ROOT, '.cache', 'models', `generated-clip-${preset}`);
  if (!fs.existsSync(path.join(dir, 'onnx', 'vision_model.onnx'))) {
    log(`generating the ${preset} model into ${path.relative(REPO_ROOT, dir)}/ ...`);
    await generateClipModel(dir, CLIP_PRESETS[preset]);
  }
  return writePrecisionVariants(dir, [dtypeOf(name)], log);
}

/**
 * The ratio of pipeline to model alone the issue asks of each model (issue 18): ViT-B/32 in every thread mode,
 * the fast model with one model thread; none for the tiny model (decoding costs more than it).
 */
export const TARGETS: Partial<Record<ModelName, number>> = { 'vit-b-32': 0.95, fast: 0.9 };

/** What a thread mode amounts to, as reported next to the figures. */
export interface ThreadReport {
  mode: string;
  /** onnxruntime's intra-op threads when set; undefined: its default. */
  modelThreads?: number;
  onnxIntraOp: string;
  onnxSpinning: boolean;
  sharpConcurrency: number;
  sharpCache: boolean;
  uvThreadpool: number;
}

/**
 * Loads the encoder the way the chosen mode says. sharp's settings are per process: use one mode per process.
 */
export async function loadWithThreads(
  modelDir: string,
  mode: ThreadMode,
  dtype: ClipDtype = 'fp32',
  device: Device = 'cpu',
): Promise<{ encoder: ClipEncoder; threads: ThreadReport }> {
  const sharp = getSharp();
  let intraOp: number | undefined;
  if (mode === 'worker') intraOp = applyThreadSettings(chooseThreadSettings()).onnxThreads;
  else if (typeof mode === 'number') intraOp = mode;
  const sessionOptions =
    intraOp === undefined ? undefined : (withThreadDefaults(undefined, intraOp) as Record<string, unknown>);
  const encoder = await loadClip(modelDir, {
    sessionOptions,
    dtype,
    device,
    log: (line) => console.error(`  ${line}`),
  });
  const threads: ThreadReport = {
    mode: String(mode),
    modelThreads: intraOp,
    onnxIntraOp: intraOp === undefined ? 'default (one per physical core)' : String(intraOp),
    onnxSpinning: intraOp === undefined,
    sharpConcurrency: sharp.concurrency(),
    sharpCache: mode !== 'worker',
    uvThreadpool: Number(process.env.UV_THREADPOOL_SIZE) || 4,
  };
  return { encoder, threads };
}
