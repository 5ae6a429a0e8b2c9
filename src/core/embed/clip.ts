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
import {
  guardLoad,
  imageSizeOf,
  inputTypeOf,
  loadBoth,
  type Model,
  sessionOf,
  shortestEdgeOf,
  type TransformersModule,
} from './clip-load';
import {
  encodeTexts,
  fitsRecipe,
  namedTensor,
  type PixelPreparation,
  pixelRecipeOf,
  pixelValuesOf,
  resizeForProcessor,
  toFloat16,
  unitRows,
} from './clip-tensors';
import { type Device, type DeviceHost, loadOnDevice, type RunDevice, thisHost } from './device';
import type { DecodedImage } from './image';
import {
  checkFolder,
  checkTextSession,
  checkVisionSession,
  ClipDtype,
  expectedLayoutHint,
  hubCacheFolder,
  onnxFileName,
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
  /** Where the model runs (see device.ts); default cpu. */
  device?: Device;
  /** The machine the device is chosen for; default this one. */
  host?: DeviceHost;
  /** Told when `auto` falls back to the CPU, and why. */
  log?: (message: string) => void;
}

export interface ClipEncoder {
  /** The hub id, or for a folder its config's `_name_or_path`, or else the folder's name. */
  readonly modelId: string;
  /** Length of every embedding. */
  readonly dimension: number;
  /** Side of the square the model sees, in pixels (224 for ViT-B/32). */
  readonly imageSize: number;
  /** Which of the model's ONNX files run: a store holds vectors of one precision only. */
  readonly precision: ClipDtype;
  /** Where the vision model runs (`auto` resolved). */
  readonly device: RunDevice;
  /** One unit vector per image, in order: preprocessImages then embedPixels. */
  embedImages(images: DecodedImage[]): Promise<Float32Array[]>;
  /** The first half of embedImages: resize, crop and normalise into the vision model's input; no model run. */
  preprocessImages(images: DecodedImage[]): Promise<PixelBatch>;
  /** The second half: the vision model on prepared pixels, one unit vector per image. */
  embedPixels(batch: PixelBatch): Promise<Float32Array[]>;
  /**
   * How preprocessImages makes the model's input, as plain data for the threads that decode images, so the
   * model's thread only runs the model; undefined for a processor clip-tensors.ts does not reproduce.
   */
  readonly pixelPreparation: PixelPreparation | undefined;
  /** Pixels made with pixelPreparation (`count` images, pixelsOf's layout) as embedPixels' input, not copied. */
  pixelBatchOf(pixels: Float32Array, count: number): PixelBatch;
  /** One unit vector per text, in order. Texts longer than the model's context are truncated. */
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  /** Releases the ONNX sessions; the encoder cannot be used afterwards. */
  dispose(): Promise<void>;
}

/** Images ready for the vision model: `pixelValues` is [count, 3, imageSize, imageSize]. */
export interface PixelBatch {
  readonly count: number;
  readonly pixelValues: Transformers.Tensor;
}

let transformersPromise: Promise<TransformersModule> | undefined;
function loadTransformers(): Promise<TransformersModule> {
  transformersPromise ??= import('@huggingface/transformers');
  return transformersPromise;
}

export async function loadClip(modelRef: string, opts: LoadClipOptions = {}): Promise<ClipEncoder> {
  const dtype = opts.dtype ?? 'fp32';
  if (!modelRef || !modelRef.trim()) {
    throw new VectorTuneError(
      'No model was given.',
      undefined,
      `Give a model folder or a hub id. ${expectedLayoutHint(dtype)}`,
    );
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
  // transformers.js is given the execution providers explicitly, so `auto` means what device.ts says it means.
  // The text tower, loaded later, runs where the vision tower ended up.
  let runDevice: RunDevice = 'cpu';
  const onDevice = async <M extends Model>(
    device: Device,
    load: (options: Record<string, unknown>) => Promise<M>,
  ): Promise<M> => {
    const loaded = await loadOnDevice<M>(
      device,
      (executionProviders) =>
        load({
          ...pretrained,
          dtype,
          device: executionProviders[0],
          session_options: { ...opts.sessionOptions, executionProviders },
        }),
      {
        host: opts.host ?? thisHost(),
        log: opts.log,
        release: async (m) => {
          await (m as Model).dispose();
        },
      },
    );
    runDevice = loaded.device;
    return loaded.value;
  };
  const where = (file: string) => (folder ? path.join(folder, file) : `${source}/${file}`);

  const config = downloading ? undefined : readConfig(path.join(folder as string, 'config.json'));
  const [processor, visionModel] = await loadBoth(
    guardLoad(
      () => tf.AutoImageProcessor.from_pretrained(source, pretrained),
      where('preprocessor_config.json'),
      source,
    ),
    guardLoad(
      () => onDevice(opts.device ?? 'cpu', (o) => tf.CLIPVisionModelWithProjection.from_pretrained(source, o)),
      where(onnxFileName('vision', dtype)),
      source,
    ),
  );
  let imageSize: number;
  let dimension: number;
  try {
    const modelType = (visionModel.config as unknown as Record<string, unknown>).model_type;
    if (modelType !== 'clip') {
      throw new VectorTuneError(
        `This is the config of a ${JSON.stringify(modelType)} model, not CLIP.`,
        where('config.json'),
      );
    }
    imageSize = imageSizeOf(processor, where('preprocessor_config.json'));
    dimension = checkVisionSession(sessionOf(visionModel), where(onnxFileName('vision', dtype)), imageSize);
    // A vision tower from another model (or a config from one) would make every stored vector the wrong width
    // for heads and prompts made with the config's: refuse naming both files.
    const projection = (visionModel.config as unknown as Record<string, unknown>).projection_dim;
    if (typeof projection === 'number' && projection !== dimension) {
      throw new VectorTuneError(
        `${where('config.json')} says projection_dim ${projection}, but ${where(onnxFileName('vision', dtype))} gives ${dimension}-d embeddings: they come from different models.`,
        where(onnxFileName('vision', dtype)),
        'Use the files of one model (download it again if unsure).',
      );
    }
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
      guardLoad(
        () => onDevice(runDevice, (o) => tf.CLIPTextModelWithProjection.from_pretrained(source, o)),
        where(onnxFileName('text', dtype)),
        source,
      ),
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
  const inputType = inputTypeOf(sessionOf(visionModel), 'pixel_values');
  const recipe = pixelRecipeOf(tf, processor);

  const preprocessImages = async (images: DecodedImage[]): Promise<PixelBatch> => {
    assertLive();
    if (images.length === 0)
      return { count: 0, pixelValues: new tf.Tensor('float32', new Float32Array(0), [0, 3, imageSize, imageSize]) };
    const ready = await Promise.all(images.map((img, i) => resizeForProcessor(img, i, preResize)));
    if (recipe && ready.every((img) => fitsRecipe(recipe, img)))
      return { count: images.length, pixelValues: pixelValuesOf(tf, recipe, ready) };
    const processed: unknown = await processor(ready.map((img) => new tf.RawImage(img.data, img.width, img.height, 3)));
    return { count: images.length, pixelValues: namedTensor(tf, processed, 'pixel_values') };
  };

  const pixelBatchOf = (pixels: Float32Array, count: number): PixelBatch => {
    assertLive();
    if (!recipe) throw new Error(`the image processor of ${modelId} cannot be reproduced outside transformers.js`);
    const dims = [count, 3, recipe.cropHeight, recipe.cropWidth];
    if (pixels.length !== dims.reduce((a, b) => a * b))
      throw new Error(`expected pixels of shape [${dims.join(', ')}], got ${pixels.length} numbers`);
    return { count, pixelValues: new tf.Tensor('float32', pixels, dims) };
  };

  const embedPixels = async (batch: PixelBatch): Promise<Float32Array[]> => {
    assertLive();
    if (batch.count === 0) return [];
    const pixels = batch.pixelValues;
    const out: unknown = await visionModel.forward({
      pixel_values: inputType === 'float16' ? toFloat16(tf, pixels) : pixels,
    });
    const embeds = namedTensor(tf, out, 'image_embeds');
    return unitRows(embeds, batch.count, dimension, where(onnxFileName('vision', dtype)));
  };

  return {
    modelId,
    dimension,
    imageSize,
    precision: dtype,
    device: runDevice,

    preprocessImages,
    embedPixels,
    pixelPreparation: recipe ? { shortestEdge: preResize, recipe } : undefined,
    pixelBatchOf,
    async embedImages(images: DecodedImage[]): Promise<Float32Array[]> {
      return embedPixels(await preprocessImages(images));
    },

    async embedTexts(texts: string[]): Promise<Float32Array[]> {
      assertLive();
      if (texts.length === 0) return [];
      textSide ??= loadTextSide().catch((err: unknown) => {
        textSide = undefined; // let a later call retry (e.g. after the user fixed the file)
        throw err;
      });
      const { tokenizer, model } = await textSide;
      const out: unknown = await model.forward(encodeTexts(tf, tokenizer, model, texts));
      const embeds = namedTensor(tf, out, 'text_embeds');
      return unitRows(embeds, texts.length, dimension, where(onnxFileName('text', dtype)));
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
