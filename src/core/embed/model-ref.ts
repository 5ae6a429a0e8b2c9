/**
 * What a model reference names (a local folder or a Hugging Face hub id), which files a CLIP model folder
 * must hold in the layout transformers.js reads (that of Xenova/clip-vit-base-patch32), and the checks that
 * a folder and its ONNX towers fit that layout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';

export type ClipDtype = 'fp32' | 'q8' | 'fp16';

export type ModelRef =
  | { kind: 'folder'; dir: string }
  | { kind: 'hub'; id: string };

/** owner/name as on the hub (transformers.js accepts the same shape); a bare name without owner also passes. */
const HUB_ID = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]{0,95}$/;

/** Suffix transformers.js adds to the ONNX file name for each dtype. */
const DTYPE_SUFFIX: Record<ClipDtype, string> = { fp32: '', q8: '_quantized', fp16: '_fp16' };

export const CONFIG_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

export function onnxFileName(tower: 'vision' | 'text', dtype: ClipDtype = 'fp32'): string {
  return `onnx/${tower}_model${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** Every file a folder must hold for `dtype`, relative to it. */
export function requiredFiles(dtype: ClipDtype = 'fp32'): string[] {
  return [...CONFIG_FILES, onnxFileName('vision', dtype), onnxFileName('text', dtype)];
}

/** One line a user can act on when a folder is missing or incomplete. */
export function expectedLayoutHint(dtype: ClipDtype = 'fp32'): string {
  return (
    `A CLIP model folder holds ${requiredFiles(dtype).join(', ')} ` +
    '(the layout of Xenova/clip-vit-base-patch32 on the Hugging Face hub).'
  );
}

/**
 * Reads a reference as a folder when it looks like a path (absolute, ./ or ../, ~, a backslash) or names an
 * existing directory; otherwise as a hub id. A relative path that does not exist and looks like owner/name
 * is taken as a hub id: the error for a missing hub model then says how to point at a folder instead.
 */
export function parseModelRef(ref: string, cwd: string = process.cwd()): ModelRef {
  const trimmed = ref.trim();
  if (trimmed.startsWith('~')) return { kind: 'folder', dir: path.join(os.homedir(), trimmed.slice(1)) };
  const looksLikePath =
    path.isAbsolute(trimmed) || trimmed.startsWith('.') || trimmed.includes('\\') || trimmed.endsWith('/');
  const resolved = path.resolve(cwd, trimmed);
  if (looksLikePath || isDirectory(resolved) || !HUB_ID.test(trimmed)) return { kind: 'folder', dir: resolved };
  return { kind: 'hub', id: trimmed };
}

/** Where transformers.js's file cache keeps a hub model: <cacheDir>/<owner>/<name>/... */
export function hubCacheFolder(cacheDir: string, id: string): string {
  return path.join(cacheDir, ...id.split('/'));
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Checks of a folder before transformers.js reads it, and of the ONNX sessions after, so that every problem
// names its file.

/** The parts of an onnxruntime InferenceSession the checks read. */
export type OrtSession = {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata?: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[];
  outputMetadata?: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[];
};

function missingFiles(folder: string, dtype: ClipDtype): string[] {
  return requiredFiles(dtype).filter((f) => !fs.existsSync(path.join(folder, f)));
}

export function checkFolder(folder: string, dtype: ClipDtype): void {
  if (!fs.existsSync(folder)) {
    throw new VectorTuneError('The model folder does not exist.', folder, expectedLayoutHint(dtype));
  }
  if (!isDirectory(folder)) {
    throw new VectorTuneError('The model path is a file, not a folder.', folder, expectedLayoutHint(dtype));
  }
  const missing = missingFiles(folder, dtype);
  if (missing.length > 0) {
    throw new VectorTuneError(`The model folder lacks ${missing.join(', ')}.`, folder, expectedLayoutHint(dtype));
  }
}

export function readConfig(file: string): Record<string, unknown> {
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VectorTuneError(`Not valid JSON (${(err as Error).message}).`, file, expectedLayoutHint());
  }
  const type = (config as Record<string, unknown> | null)?.model_type;
  if (type !== 'clip') {
    throw new VectorTuneError(
      `This is the config of a ${JSON.stringify(type ?? 'unknown')} model; Vector Tune needs a CLIP model (model_type "clip").`,
      file,
    );
  }
  return config as Record<string, unknown>;
}

type Meta = NonNullable<OrtSession['inputMetadata']>[number];
const FLOAT_TYPES = ['float32', 'float16'];

function findMeta(list: readonly Meta[] | undefined, names: readonly string[], name: string, kind: string, file: string): Meta | undefined {
  if (!names.includes(name)) {
    throw new VectorTuneError(
      `The ONNX model has no ${kind} named "${name}" (its ${kind}s: ${names.join(', ') || 'none'}).`,
      file,
      'This file does not look like a CLIP tower exported for transformers.js.',
    );
  }
  return list?.find((m) => m.name === name);
}

function badShape(file: string, what: string, meta: Meta, expected: string): never {
  throw new VectorTuneError(
    `The ONNX model's ${what} is ${meta.type ?? '?'} [${(meta.shape ?? []).join(', ')}], expected ${expected}.`,
    file,
    'This file does not look like a CLIP tower exported for transformers.js.',
  );
}

/** pixel_values [batch, 3, S, S] -> image_embeds [batch, D]; returns D. */
export function checkVisionSession(session: OrtSession, file: string, imageSize: number): number {
  const input = findMeta(session.inputMetadata, session.inputNames, 'pixel_values', 'input', file);
  const output = findMeta(session.outputMetadata, session.outputNames, 'image_embeds', 'output', file);
  const expectedIn = `float32 [batch, 3, ${imageSize}, ${imageSize}]`;
  if (input?.shape) {
    const s = input.shape;
    const fits = (d: number | string, want: number) => typeof d === 'string' || d === want || d === -1;
    if (s.length !== 4 || !fits(s[1], 3) || !fits(s[2], imageSize) || !fits(s[3], imageSize)) badShape(file, 'input pixel_values', input, expectedIn);
    if (input.type && !FLOAT_TYPES.includes(input.type)) badShape(file, 'input pixel_values', input, expectedIn);
  }
  if (!output?.shape) throw new VectorTuneError('The ONNX model does not declare the shape of image_embeds.', file);
  const dim = output.shape[1];
  if (output.shape.length !== 2 || typeof dim !== 'number' || dim <= 0) badShape(file, 'output image_embeds', output, 'float32 [batch, dimension]');
  if (output.type && !FLOAT_TYPES.includes(output.type)) badShape(file, 'output image_embeds', output, 'float32 [batch, dimension]');
  return dim;
}

/** input_ids (and attention_mask, if the model takes it) [batch, seq] -> text_embeds [batch, D]; returns D if declared. */
export function checkTextSession(session: OrtSession, file: string): number | undefined {
  const ids = findMeta(session.inputMetadata, session.inputNames, 'input_ids', 'input', file);
  for (const [name, meta] of [['input_ids', ids], ['attention_mask', session.inputMetadata?.find((m) => m.name === 'attention_mask')]] as const) {
    if (meta?.shape && (meta.shape.length !== 2 || (meta.type && meta.type !== 'int64'))) badShape(file, `input ${name}`, meta, 'int64 [batch, sequence]');
  }
  const unexpected = session.inputNames.filter((n) => n !== 'input_ids' && n !== 'attention_mask');
  if (unexpected.length > 0) {
    throw new VectorTuneError(`The ONNX model wants inputs a CLIP text tower does not have: ${unexpected.join(', ')}.`, file);
  }
  const output = findMeta(session.outputMetadata, session.outputNames, 'text_embeds', 'output', file);
  if (!output?.shape) return undefined;
  const dim = output.shape[1];
  if (output.shape.length !== 2 || (output.type && !FLOAT_TYPES.includes(output.type))) badShape(file, 'output text_embeds', output, 'float32 [batch, dimension]');
  return typeof dim === 'number' ? dim : undefined;
}

