/**
 * What a model reference names (a local folder or a Hugging Face hub id), which files a CLIP model folder
 * must hold in the layout transformers.js reads (that of Xenova/clip-vit-base-patch32), and the checks that
 * a folder and its ONNX towers fit that layout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import type { ModelPrecision } from './precision';

export type ClipDtype = ModelPrecision;

export type ModelRef = { kind: 'folder'; dir: string } | { kind: 'hub'; id: string };

/** owner/name as on the hub (transformers.js accepts the same shape); a bare name without owner also passes. */
const HUB_ID = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]{0,95}$/;

/** Suffix transformers.js adds to the ONNX file name for each dtype. */
const DTYPE_SUFFIX: Record<ClipDtype, string> = { fp32: '', q8: '_quantized', fp16: '_fp16' };

export const CONFIG_FILES = [
  'config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
] as const;

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
  // transformers.js reports a broken JSON file without saying which one it was reading.
  readJsonObject(path.join(folder, 'tokenizer.json'));
  checkTokenizerConfig(path.join(folder, 'tokenizer_config.json'));
  checkPreprocessorConfig(path.join(folder, 'preprocessor_config.json'));
}

/** The fields of tokenizer_config.json that transformers.js uses as they are; its errors about them name tokenizer.json. */
function checkTokenizerConfig(file: string): void {
  const config = readJsonObject(file);
  const fail = (field: string, expected: string) =>
    new VectorTuneError(
      `"${field}" is ${JSON.stringify(config[field])}; it must be ${expected}.`,
      file,
      expectedLayoutHint(),
    );
  if (config.tokenizer_class !== undefined && typeof config.tokenizer_class !== 'string')
    throw fail('tokenizer_class', 'a class name such as "CLIPTokenizer"');
  if (config.model_max_length !== undefined && typeof config.model_max_length !== 'number')
    throw fail('model_max_length', 'a number of tokens');
  for (const field of Object.keys(config).filter((k) => k.endsWith('_token'))) {
    const token = config[field];
    const ok =
      token === null ||
      typeof token === 'string' ||
      (typeof token === 'object' && typeof (token as { content?: unknown }).content === 'string');
    if (!ok) throw fail(field, 'a token string, or an object with its "content"');
  }
}

function readJsonObject(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VectorTuneError(`Not valid JSON (${(err as Error).message}).`, file, expectedLayoutHint());
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VectorTuneError('Not a JSON object.', file, expectedLayoutHint());
  }
  return value as Record<string, unknown>;
}

/**
 * What CLIP's image processor computes with, read as transformers.js reads it (its defaults and alternative
 * names included): a missing or implausible mean or std turns every pixel into NaN, a size of another shape
 * makes the resize fail, and a crop that is not square fails in the vision tower, all on the first image and
 * far from this file. CLIP's own values are mean ~0.45, std ~0.27, rescale 1/255, 224 pixels.
 */
function checkPreprocessorConfig(file: string): void {
  const config = readJsonObject(file);
  const bad = (field: string, expected: string) =>
    new VectorTuneError(
      `"${field}" is ${JSON.stringify(config[field]) ?? 'missing'}; it must be ${expected}.`,
      file,
      expectedLayoutHint(),
    );
  const numbers = (v: unknown): unknown[] => (Array.isArray(v) && v.length === 3 ? v : [v]);
  const within = (v: unknown, min: number, max: number) => typeof v === 'number' && v >= min && v <= max;
  const [meanField, stdField] = [
    config.image_mean !== undefined ? 'image_mean' : 'mean',
    config.image_std !== undefined ? 'image_std' : 'std',
  ];
  const [mean, std] = [config[meanField], config[stdField]];
  if ((config.do_normalize || mean !== undefined) && !numbers(mean).every((v) => within(v, -1e4, 1e4)))
    throw bad(meanField, 'a number or 3 numbers from -10,000 to 10,000');
  if ((config.do_normalize || std !== undefined) && !numbers(std).every((v) => within(v, 1e-6, 1e4)))
    throw bad(stdField, 'a number or 3 numbers from 0.000001 to 10,000');
  if (config.rescale_factor !== undefined && !(within(config.rescale_factor, 0, 1) && config.rescale_factor !== 0))
    throw bad('rescale_factor', 'a number above 0 and at most 1');
  // The shapes transformers.js resizes and crops by; any other (a misspelt key) fails only when an image comes.
  const sizeField = config.size !== undefined ? 'size' : 'image_size';
  const shapes: [string, string[][]][] = [
    [sizeField, [['shortest_edge'], ['longest_edge'], ['longest_edge', 'shortest_edge'], ['height', 'width']]],
    ['crop_size', [['height', 'width']]],
  ];
  const isSide = (side: unknown) => Number.isInteger(side) && within(side, 1, 16384);
  for (const [field, allowed] of shapes) {
    const v = config[field];
    if (v === undefined) continue;
    const keys = typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v).sort() : null;
    const fits = keys
      ? allowed.some((k) => k.join() === keys.join()) && Object.values(v as object).every(isSide)
      : isSide(v);
    if (!fits)
      throw bad(
        field,
        `a side in pixels (1 to 16,384), or an object of ${allowed.map((k) => k.join(' and ')).join(', or ')}`,
      );
  }
  const square = (v: unknown) =>
    isSide(v) ||
    (typeof v === 'object' && v !== null && 'height' in v && v.height === (v as { width?: unknown }).width);
  const resizes = config.do_resize ?? config[sizeField] !== undefined;
  if (resizes && config[sizeField] === undefined) throw bad('size', 'given when "do_resize" is true');
  if (
    !(config.do_center_crop && square(config.crop_size)) &&
    !(resizes && typeof config[sizeField] === 'object' && square(config[sizeField]))
  ) {
    throw new VectorTuneError(
      'The image processor would not give the model square images: CLIP needs "do_center_crop": true with a square "crop_size", or a square "size" {height, width}.',
      file,
      expectedLayoutHint(),
    );
  }
}

export function readConfig(file: string): Record<string, unknown> {
  const config = readJsonObject(file);
  const type = config.model_type;
  if (type !== 'clip') {
    throw new VectorTuneError(
      `This is the config of a ${JSON.stringify(type ?? 'unknown')} model; Vector Tune needs a CLIP model (model_type "clip").`,
      file,
    );
  }
  checkClipConfig(config, file);
  return config;
}

/** The fields of a CLIP config.json that loading and text encoding compute with (text length, widths). */
function checkClipConfig(config: Record<string, unknown>, file: string): void {
  const fail = (field: string, expected: string, value: unknown) =>
    new VectorTuneError(`"${field}" is ${JSON.stringify(value)}; it must be ${expected}.`, file, expectedLayoutHint());
  const counts: [string, unknown][] = [
    ['projection_dim', config.projection_dim],
    ['max_position_embeddings', config.max_position_embeddings],
  ];
  for (const part of ['text_config', 'vision_config']) {
    const sub = config[part];
    if (sub === undefined) continue;
    if (typeof sub !== 'object' || sub === null || Array.isArray(sub)) throw fail(part, 'an object', sub);
    for (const key of ['projection_dim', 'max_position_embeddings', 'hidden_size', 'image_size', 'patch_size'])
      counts.push([`${part}.${key}`, (sub as Record<string, unknown>)[key]]);
  }
  for (const [field, value] of counts) {
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) > 0))
      throw fail(field, 'a positive whole number', value);
  }
}

type Meta = NonNullable<OrtSession['inputMetadata']>[number];
const FLOAT_TYPES = ['float32', 'float16'];

function findMeta(
  list: readonly Meta[] | undefined,
  names: readonly string[],
  name: string,
  kind: string,
  file: string,
): Meta | undefined {
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
  // The expected size comes from the image processor: when they disagree, either file may be the wrong one.
  const processorFile = path.join(path.dirname(path.dirname(file)), 'preprocessor_config.json');
  const expectedIn = `float32 [batch, 3, ${imageSize}, ${imageSize}] (the image size ${processorFile} gives)`;
  if (input?.shape) {
    const s = input.shape;
    const fits = (d: number | string, want: number) => typeof d === 'string' || d === want || d === -1;
    if (s.length !== 4 || !fits(s[1], 3) || !fits(s[2], imageSize) || !fits(s[3], imageSize))
      badShape(file, 'input pixel_values', input, expectedIn);
    if (input.type && !FLOAT_TYPES.includes(input.type)) badShape(file, 'input pixel_values', input, expectedIn);
  }
  if (!output?.shape) throw new VectorTuneError('The ONNX model does not declare the shape of image_embeds.', file);
  const dim = output.shape[1];
  if (output.shape.length !== 2 || typeof dim !== 'number' || dim <= 0)
    badShape(file, 'output image_embeds', output, 'float32 [batch, dimension]');
  if (output.type && !FLOAT_TYPES.includes(output.type))
    badShape(file, 'output image_embeds', output, 'float32 [batch, dimension]');
  return dim;
}

/** input_ids (and attention_mask, if the model takes it) [batch, seq] -> text_embeds [batch, D]; returns D if declared. */
export function checkTextSession(session: OrtSession, file: string): number | undefined {
  const ids = findMeta(session.inputMetadata, session.inputNames, 'input_ids', 'input', file);
  for (const [name, meta] of [
    ['input_ids', ids],
    ['attention_mask', session.inputMetadata?.find((m) => m.name === 'attention_mask')],
  ] as const) {
    if (meta?.shape && (meta.shape.length !== 2 || (meta.type && meta.type !== 'int64')))
      badShape(file, `input ${name}`, meta, 'int64 [batch, sequence]');
  }
  const unexpected = session.inputNames.filter((n) => n !== 'input_ids' && n !== 'attention_mask');
  if (unexpected.length > 0) {
    throw new VectorTuneError(
      `The ONNX model wants inputs a CLIP text tower does not have: ${unexpected.join(', ')}.`,
      file,
    );
  }
  const output = findMeta(session.outputMetadata, session.outputNames, 'text_embeds', 'output', file);
  if (!output?.shape) return undefined;
  const dim = output.shape[1];
  if (output.shape.length !== 2 || (output.type && !FLOAT_TYPES.includes(output.type)))
    badShape(file, 'output text_embeds', output, 'float32 [batch, dimension]');
  return typeof dim === 'number' ? dim : undefined;
}
