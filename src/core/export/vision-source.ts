/**
 * Where an exported model's vision graph comes from: the fp32 vision tower of the model folder a head was
 * trained with (transformers.js layout), and what a caller must do to an image before it (from the folder's
 * preprocessor_config.json, which is what the engine's own preprocessing follows).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { onnxFileName, parseModelRef, hubCacheFolder } from '../embed/model-ref';
import { VectorTuneError } from '../errors';

/** The image preprocessing an exported model expects its caller to have done, for its metadata. */
export interface ImagePreprocessing {
  /** One line a person can follow. */
  summary: string;
  /** Resize so the shorter side is this many pixels, keeping the aspect ratio (null: no resize). */
  resizeShortestEdge: number | null;
  /** The interpolation, as PIL names it (CLIP: bicubic). The engine resizes with libvips's antialiased cubic. */
  resample: string | null;
  /** Centre crop to this size, offsets rounded down (null: no crop). */
  centreCrop: { width: number; height: number } | null;
  /** Pixel bytes are multiplied by this (1/255: to [0, 1]), then `(x - mean) / std` per channel. */
  rescaleFactor: number | null;
  mean: number[] | null;
  std: number[] | null;
  channelOrder: 'RGB';
  layout: 'NCHW';
  dtype: 'float32';
}

/** PIL's resampling filter codes, as Hugging Face preprocessor configs give them. */
const PIL_RESAMPLE = ['nearest', 'lanczos', 'bilinear', 'bicubic', 'box', 'hamming'];

/**
 * The folder a model reference names: the folder itself, or where a hub model is cached. Whether it holds a
 * usable model is checked by loading it (loadClip), which the export does before reading the graph.
 */
export function modelFolderOf(ref: string, cacheDir: string | undefined): string {
  const parsed = parseModelRef(ref);
  if (parsed.kind === 'folder') return parsed.dir;
  if (!cacheDir) throw new VectorTuneError(`the hub model ${parsed.id} needs a model cache folder to be read from.`);
  return hubCacheFolder(path.resolve(cacheDir), parsed.id);
}

export function visionGraphFile(modelFolder: string): string {
  return path.join(modelFolder, onnxFileName('vision', 'fp32'));
}

export async function readImagePreprocessing(modelFolder: string): Promise<ImagePreprocessing> {
  const file = path.join(modelFolder, 'preprocessor_config.json');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new VectorTuneError(`cannot read the image preprocessing (${(err as Error).message}).`, file);
  }
  const size = raw.size as { shortest_edge?: unknown } | number | undefined;
  const shortest = typeof size === 'number' ? size : size?.shortest_edge;
  const crop = raw.crop_size as { width?: unknown; height?: unknown } | number | undefined;
  const cropSize = typeof crop === 'number' ? { width: crop, height: crop } : crop;
  const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const triple = (v: unknown) =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? v : null;

  const resizeShortestEdge = raw.do_resize !== false ? number(shortest) : null;
  const resample = resizeShortestEdge !== null ? (PIL_RESAMPLE[number(raw.resample) ?? 3] ?? null) : null;
  const centreCrop =
    raw.do_center_crop !== false && number(cropSize?.width) !== null && number(cropSize?.height) !== null
      ? { width: cropSize!.width as number, height: cropSize!.height as number }
      : null;
  const rescaleFactor = raw.do_rescale !== false ? (number(raw.rescale_factor) ?? 1 / 255) : null;
  const normalise = raw.do_normalize !== false;
  const mean = normalise ? triple(raw.image_mean) : null;
  const std = normalise ? triple(raw.image_std) : null;
  if (normalise && (!mean || !std))
    throw new VectorTuneError('it normalises but gives no 3-channel image_mean and image_std.', file);

  const steps = [
    resizeShortestEdge !== null ? `resize the shorter side to ${resizeShortestEdge} px (${resample})` : null,
    centreCrop ? `centre-crop ${centreCrop.width}x${centreCrop.height}` : null,
    rescaleFactor !== null ? `multiply the RGB bytes by ${rescaleFactor}` : null,
    mean && std ? `subtract mean [${mean.join(', ')}] and divide by std [${std.join(', ')}] per channel` : null,
    'lay out as float32 N x 3 x H x W (RGB)',
  ];
  return {
    summary: steps.filter(Boolean).join(', then '),
    resizeShortestEdge,
    resample,
    centreCrop,
    rescaleFactor,
    mean,
    std,
    channelOrder: 'RGB',
    layout: 'NCHW',
    dtype: 'float32',
  };
}
