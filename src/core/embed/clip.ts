/**
 * The CLIP encoder: images and texts to L2-normalised embeddings in one shared space, through transformers.js
 * (CLIPImageProcessor + CLIPVisionModelWithProjection, AutoTokenizer + CLIPTextModelWithProjection).
 *
 * transformers.js is imported on the first loadClip(), not when this module is: it pulls in onnxruntime-node
 * and takes a noticeable time to load, which a command that never embeds should not pay. The text model is
 * loaded on the first embedTexts(): indexing a folder of images never needs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Transformers from '@huggingface/transformers';
import { VectorTuneError } from '../errors';
import { DecodedImage, resizeShortSide } from './image';
import {
  checkFolder,
  checkTextSession,
  checkVisionSession,
  ClipDtype,
  expectedLayoutHint,
  hubCacheFolder,
  onnxFileName,
  OrtSession,
  parseModelRef,
  readConfig,
} from './model-ref';

export type { ClipDtype } from './model-ref';

export interface LoadClipOptions {
  /** Where hub models are cached (transformers.js layout <cacheDir>/<owner>/<name>/...). */
  cacheDir?: string;
  /** May a hub model missing from the cache be downloaded? Default false. */
  allowDownload?: boolean;
  /** Which ONNX files to use: fp32 `*_model.onnx`, q8 `*_model_quantized.onnx`, fp16 `*_model_fp16.onnx`. */
  dtype?: ClipDtype;
  /** onnxruntime session options (threads, spinning) for both towers, passed through to transformers.js. */
  sessionOptions?: Record<string, unknown>;
}

export interface ClipEncoder {
  /** The hub id, or for a folder its config's `_name_or_path`, or else the folder's name. */
  readonly modelId: string;
  /** Length of every embedding. */
  readonly dimension: number;
  /** Side of the square the model sees, in pixels (224 for ViT-B/32). */
  readonly imageSize: number;
  /** One unit vector per image, in order. */
  embedImages(images: DecodedImage[]): Promise<Float32Array[]>;
  /** One unit vector per text, in order. Texts longer than the model's context are truncated. */
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  /** Releases the ONNX sessions; the encoder cannot be used afterwards. */
  dispose(): Promise<void>;
}

type TransformersModule = typeof Transformers;
type Model = Transformers.PreTrainedModel;

let transformersPromise: Promise<TransformersModule> | undefined;
function loadTransformers(): Promise<TransformersModule> {
  transformersPromise ??= import('@huggingface/transformers');
  return transformersPromise;
}

export async function loadClip(modelRef: string, opts: LoadClipOptions = {}): Promise<ClipEncoder> {
  const dtype = opts.dtype ?? 'fp32';
  if (!modelRef || !modelRef.trim()) {
    throw new VectorTuneError('No model was given.', undefined, `Give a model folder or a hub id. ${expectedLayoutHint(dtype)}`);
  }
  const tf = await loadTransformers();
  const ref = parseModelRef(modelRef);
  const cacheDir = opts.cacheDir ? path.resolve(opts.cacheDir) : (tf.env.cacheDir ?? undefined);

  // Decide where the files come from. A folder is read locally. A hub model is read from the cache
  // (<cacheDir>/<owner>/<name>, which transformers.js checks first); when downloads are allowed, transformers.js
  // fetches whatever the cache lacks and stores it there, so the next offline start finds it.
  let source: string; // what transformers.js is given: an absolute folder path, or the hub id
  let folder: string | undefined; // where the files are (or will be cached), for naming them in errors
  let modelId: string | undefined;
  let downloading = false;
  if (ref.kind === 'folder') {
    folder = ref.dir;
    source = folder;
    checkFolder(folder, dtype);
  } else {
    modelId = ref.id;
    folder = cacheDir ? hubCacheFolder(cacheDir, ref.id) : undefined;
    // The text side is loaded lazily and may be cached later than the image side: only the latter is needed now.
    const imageSide = ['config.json', 'preprocessor_config.json', onnxFileName('vision', dtype)];
    const cached = folder !== undefined && imageSide.every((f) => fs.existsSync(path.join(folder as string, f)));
    if (opts.allowDownload) {
      source = ref.id;
      downloading = true;
    } else if (cached) {
      source = folder as string;
    } else {
      throw new VectorTuneError(
        `The model ${ref.id} is not in the model cache${folder ? ` (${folder})` : ''} and downloading is turned off.`,
        undefined,
        `Allow downloads once, or point Vector Tune at a local folder that holds the model. ${expectedLayoutHint(dtype)}`,
      );
    }
  }

  // transformers.js reads an absolute folder path directly (it is not a valid hub id, so env.localModelPath
  // is not prefixed); local_files_only keeps it from ever trying the network.
  tf.env.allowLocalModels = true;
  tf.env.allowRemoteModels = downloading;
  if (cacheDir) tf.env.cacheDir = cacheDir;
  const pretrained = {
    local_files_only: !downloading,
    ...(cacheDir ? { cache_dir: cacheDir } : {}),
  };
  const modelOptions = { ...pretrained, dtype, device: 'cpu' as const, ...(opts.sessionOptions ? { session_options: opts.sessionOptions } : {}) };
  const where = (file: string) => (folder ? path.join(folder, file) : `${source}/${file}`);

  const config = downloading ? undefined : readConfig(path.join(folder as string, 'config.json'));
  const [processor, visionModel] = await loadBoth(
    guardLoad(() => tf.AutoImageProcessor.from_pretrained(source, pretrained), where('preprocessor_config.json'), source),
    guardLoad(() => tf.CLIPVisionModelWithProjection.from_pretrained(source, modelOptions), where(onnxFileName('vision', dtype)), source),
  );
  let imageSize: number;
  let dimension: number;
  try {
    const modelType = (visionModel.config as unknown as Record<string, unknown>).model_type;
    if (modelType !== 'clip') {
      throw new VectorTuneError(`This is the config of a ${JSON.stringify(modelType)} model, not CLIP.`, where('config.json'));
    }
    imageSize = imageSizeOf(processor, where('preprocessor_config.json'));
    dimension = checkVisionSession(sessionOf(visionModel), where(onnxFileName('vision', dtype)), imageSize);
  } catch (err) {
    await visionModel.dispose();
    throw err;
  }

  if (!modelId) {
    const named = (config ?? (visionModel.config as unknown as Record<string, unknown>))._name_or_path;
    modelId = typeof named === 'string' && named && !path.isAbsolute(named) ? named : path.basename(folder ?? source);
  }

  // Text side, loaded on first use and shared by concurrent callers.
  let textSide: Promise<{ tokenizer: Transformers.PreTrainedTokenizer; model: Model }> | undefined;
  const loadTextSide = async () => {
    const [tokenizer, model] = await loadBoth(
      guardLoad(() => tf.AutoTokenizer.from_pretrained(source, pretrained), where('tokenizer.json'), source),
      guardLoad(() => tf.CLIPTextModelWithProjection.from_pretrained(source, modelOptions), where(onnxFileName('text', dtype)), source),
    );
    try {
      const textDim = checkTextSession(sessionOf(model), where(onnxFileName('text', dtype)));
      if (textDim !== undefined && textDim !== dimension) {
        throw new VectorTuneError(
          `The text model's embeddings have ${textDim} dimensions but the vision model's have ${dimension}.`,
          where(onnxFileName('text', dtype)),
          'Both ONNX files must come from the same CLIP model.',
        );
      }
    } catch (err) {
      await model.dispose();
      throw err;
    }
    return { tokenizer, model };
  };

  let disposed = false;
  const assertLive = () => {
    if (disposed) throw new Error(`The CLIP encoder for ${modelId} has been disposed.`);
  };
  const preResize = shortestEdgeOf(processor);

  return {
    modelId,
    dimension,
    imageSize,

    async embedImages(images: DecodedImage[]): Promise<Float32Array[]> {
      assertLive();
      if (images.length === 0) return [];
      const raws = await Promise.all(images.map((img, i) => toRawImage(tf, img, i, preResize)));
      const { pixel_values } = await processor(raws);
      const inputType = inputTypeOf(sessionOf(visionModel), 'pixel_values');
      const feeds = { pixel_values: inputType === 'float16' ? pixel_values.to('float16') : pixel_values };
      const out = await visionModel.forward(feeds);
      return unitRows(out.image_embeds, images.length, dimension);
    },

    async embedTexts(texts: string[]): Promise<Float32Array[]> {
      assertLive();
      if (texts.length === 0) return [];
      textSide ??= loadTextSide().catch((err: unknown) => {
        textSide = undefined; // let a later call retry (e.g. after the user fixed the file)
        throw err;
      });
      const { tokenizer, model } = await textSide;
      const out = await model.forward(encodeTexts(tf, tokenizer, model, texts));
      return unitRows(out.text_embeds, texts.length, dimension);
    },

    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await visionModel.dispose();
      const text = await textSide?.catch(() => undefined);
      await text?.model.dispose();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Loading through transformers.js, with its errors turned into VectorTuneErrors.

/** Runs a transformers.js loader and turns its errors into VectorTuneErrors naming the file concerned. */
async function guardLoad<T>(load: () => Promise<T>, file: string, source: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof VectorTuneError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/not found locally|Could not locate file|404/i.test(message)) {
      throw new VectorTuneError(`This model file could not be found (${firstLine(message)}).`, file, expectedLayoutHint());
    }
    if (/fetch failed|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network/i.test(message)) {
      throw new VectorTuneError(
        `Downloading ${source} failed (${firstLine(message)}).`,
        file,
        `Check the network, or point Vector Tune at a local folder that holds the model. ${expectedLayoutHint()}`,
      );
    }
    if (file.endsWith('.onnx')) {
      throw new VectorTuneError(`This is not a usable ONNX model (${firstLine(message)}).`, file, expectedLayoutHint());
    }
    throw new VectorTuneError(`This file could not be loaded (${firstLine(message)}).`, file, expectedLayoutHint());
  }
}

/** Awaits a config-side loader and a model loader; if either fails, releases the model the other loaded. */
async function loadBoth<A, M extends Model>(a: Promise<A>, m: Promise<M>): Promise<[A, M]> {
  const [ra, rm] = await Promise.allSettled([a, m]);
  if (ra.status === 'fulfilled' && rm.status === 'fulfilled') return [ra.value, rm.value];
  if (rm.status === 'fulfilled') await rm.value.dispose();
  throw ra.status === 'rejected' ? ra.reason : (rm as PromiseRejectedResult).reason;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0].trim();
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

function sessionOf(model: Model): OrtSession {
  const sessions = Object.values(model.sessions) as OrtSession[];
  if (sessions.length !== 1) throw new Error(`expected one ONNX session, found ${sessions.length}`);
  return sessions[0];
}

function inputTypeOf(session: OrtSession, name: string): string | undefined {
  return session.inputMetadata?.find((m) => m.name === name)?.type;
}

type Processor = Awaited<ReturnType<TransformersModule['AutoImageProcessor']['from_pretrained']>>;

/** The side of the square crop the model sees. */
function imageSizeOf(processor: Processor, file: string): number {
  const crop = processor.crop_size as unknown;
  const size = processor.size as unknown;
  const candidates = [
    typeof crop === 'number' ? crop : (crop as { height?: number } | undefined)?.height,
    typeof size === 'number' ? size : (size as { shortest_edge?: number; height?: number } | undefined)?.shortest_edge,
    (size as { height?: number } | undefined)?.height,
  ];
  const found = candidates.find((c): c is number => typeof c === 'number' && c > 0);
  if (!found) throw new VectorTuneError('It gives no image size (crop_size or size.shortest_edge).', file);
  return found;
}

/** The processor's shortest_edge, when it resizes that way (CLIP does). */
function shortestEdgeOf(processor: Processor): number | undefined {
  const size = processor.size as unknown;
  if (!processor.do_resize || processor.do_thumbnail) return undefined;
  const edge = typeof size === 'number' ? size : (size as { shortest_edge?: number } | undefined)?.shortest_edge;
  return typeof edge === 'number' && edge > 0 ? edge : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Images in, vectors out.

/**
 * Wraps a decoded image for the processor. transformers.js resizes in Node with a plain bicubic affine
 * transform, which aliases badly when shrinking a large photo; so the shrink to the processor's target size
 * is done here with libvips's antialiased cubic reduce, and the processor's own resize becomes a no-op.
 */
async function toRawImage(tf: TransformersModule, img: DecodedImage, index: number, shortestEdge: number | undefined): Promise<Transformers.RawImage> {
  if (img.channels !== 3 || img.width <= 0 || img.height <= 0 || img.data.length !== img.width * img.height * 3) {
    throw new Error(`image ${index}: expected ${img.width}x${img.height} RGB (${img.width * img.height * 3} bytes), got ${img.data.length} bytes`);
  }
  const ready = shortestEdge ? await resizeShortSide(img, shortestEdge) : img;
  return new tf.RawImage(ready.data, ready.width, ready.height, 3);
}

/**
 * Tokenises a batch for the text tower: start and end tokens, right padding with the pad token (mask 0).
 * Done here rather than with the tokenizer's own `truncation: true`, because transformers.js truncates after
 * adding the special tokens and so drops <|endoftext|> from long texts, the very token CLIP pools at; here a
 * text longer than the context keeps its first tokens and its end token.
 */
function encodeTexts(
  tf: TransformersModule,
  tokenizer: Transformers.PreTrainedTokenizer,
  model: Model,
  texts: string[],
): { input_ids: Transformers.Tensor; attention_mask: Transformers.Tensor } {
  // The tokenizer's model_max_length, capped by the text model's position table (a tokenizer_config without
  // model_max_length reports a huge number).
  const config = model.config as unknown as { max_position_embeddings?: number; text_config?: { max_position_embeddings?: number } };
  const positions = config.text_config?.max_position_embeddings ?? config.max_position_embeddings ?? Infinity;
  const context = Math.min(tokenizer.model_max_length > 1 ? tokenizer.model_max_length : Infinity, positions);
  if (!Number.isFinite(context)) throw new Error('neither the tokenizer nor the text model gives a maximum text length');
  const rows = texts.map((text) => {
    const ids = tokenizer.encode(text);
    return ids.length <= context ? ids : [...ids.slice(0, context - 1), ids[ids.length - 1]];
  });
  const length = Math.max(...rows.map((r) => r.length));
  const pad = BigInt(tokenizer.pad_token_id ?? rows[0][rows[0].length - 1]);
  const ids = new BigInt64Array(rows.length * length).fill(pad);
  const mask = new BigInt64Array(rows.length * length);
  rows.forEach((row, r) => {
    for (let i = 0; i < row.length; i++) {
      ids[r * length + i] = BigInt(row[i]);
      mask[r * length + i] = 1n;
    }
  });
  return {
    input_ids: new tf.Tensor('int64', ids, [rows.length, length]),
    attention_mask: new tf.Tensor('int64', mask, [rows.length, length]),
  };
}

/** Splits a [n, dim] output into n L2-normalised rows (each its own Float32Array). */
function unitRows(tensor: Transformers.Tensor, n: number, dim: number): Float32Array[] {
  const t = tensor.type === 'float32' ? tensor : tensor.to('float32');
  const data = t.data as Float32Array;
  if (t.dims.length !== 2 || t.dims[0] !== n || t.dims[1] !== dim) {
    throw new Error(`model returned embeddings of shape [${t.dims.join(', ')}], expected [${n}, ${dim}]`);
  }
  const rows: Float32Array[] = [];
  for (let r = 0; r < n; r++) {
    const row = data.slice(r * dim, (r + 1) * dim);
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += row[i] * row[i];
    const norm = Math.sqrt(sum);
    if (!(norm > 0) || !Number.isFinite(norm)) throw new Error(`model returned a ${Number.isFinite(norm) ? 'zero' : 'non-finite'} embedding for item ${r}`);
    for (let i = 0; i < dim; i++) row[i] /= norm;
    rows.push(row);
  }
  return rows;
}
