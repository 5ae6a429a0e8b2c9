/**
 * Images in, vectors out: the inputs clip.ts feeds the two towers, and the L2-normalised rows it returns.
 */
import type * as Transformers from '@huggingface/transformers';
import type { Model, TransformersModule } from './clip-load';
import { DecodedImage, resizeShortSide } from './image';
import { VectorTuneError } from '../errors';
import { float32BitsToHalfBits } from '../io/float16';

/**
 * Checks a decoded image and shrinks it to the processor's target size. transformers.js resizes in Node with a
 * plain bicubic affine transform, which aliases badly when shrinking a large photo; so the resize to the
 * processor's target size is done here with libvips's antialiased cubic reduce, and the processor's own resize
 * becomes a no-op.
 */
export async function resizeForProcessor(
  img: DecodedImage,
  index: number,
  shortestEdge: number | undefined,
): Promise<DecodedImage> {
  if (img.channels !== 3 || img.width <= 0 || img.height <= 0 || img.data.length !== img.width * img.height * 3) {
    throw new Error(
      `image ${index}: expected ${img.width}x${img.height} RGB (${img.width * img.height * 3} bytes), got ${img.data.length} bytes`,
    );
  }
  return shortestEdge ? await resizeShortSide(img, shortestEdge) : img;
}

/**
 * What CLIPImageProcessor does after its resize, done in one pass: the centre crop, rescale and normalise,
 * channels first, every image of the batch into one buffer. The processor makes a sharp round trip for the
 * crop and four passes over float copies per image, which costs more than the rest of the pipeline together
 * for a small model. Each of its float steps depends only on the byte and the channel, so they become a
 * 3 x 256 table computed with the same float32 roundings: the values come out bit for bit the same.
 */
export interface PixelRecipe {
  cropWidth: number;
  cropHeight: number;
  /** The model's input value of byte b in channel c: table[c * 256 + b]. */
  table: Float32Array;
}

/**
 * All a thread other than the model's needs to make the model's input from a decoded image: resize the short
 * side to `shortestEdge` (resizeForProcessor), then pixelsOf with the recipe.
 */
export interface PixelPreparation {
  shortestEdge: number | undefined;
  recipe: PixelRecipe;
}

type ImageProcessor = Transformers.ImageProcessor;

/**
 * The recipe of a processor that only resizes the short side, centre-crops, rescales and normalises (CLIP's);
 * undefined for anything else, which keeps going through the processor itself.
 */
export function pixelRecipeOf(tf: TransformersModule, processor: ImageProcessor): PixelRecipe | undefined {
  const base = tf.ImageProcessor.prototype;
  if (processor.preprocess !== base.preprocess || processor._call !== base._call) return undefined;
  if (processor.do_crop_margin || processor.do_thumbnail || processor.do_pad || processor.do_flip_channel_order)
    return undefined;
  if (!processor.do_center_crop) return undefined;
  const size = processor.size as { shortest_edge?: number; longest_edge?: number } | undefined;
  // Only a short-side resize is done beforehand (toRawImage); any other resize would still happen in the processor.
  if (
    processor.do_resize &&
    (typeof size !== 'object' ||
      !size?.shortest_edge ||
      size.longest_edge !== undefined ||
      processor.size_divisibility !== undefined)
  ) {
    return undefined;
  }
  const crop = processor.crop_size as number | { width?: number; height?: number } | undefined;
  const [cropWidth, cropHeight] = typeof crop === 'number' ? [crop, crop] : [crop?.width, crop?.height];
  if (!Number.isInteger(cropWidth) || !Number.isInteger(cropHeight) || cropWidth! <= 0 || cropHeight! <= 0)
    return undefined;

  const perChannel = (v: number | number[] | undefined): number[] | undefined =>
    Array.isArray(v) ? v : typeof v === 'number' ? [v, v, v] : undefined;
  const mean = perChannel(processor.image_mean);
  const std = perChannel(processor.image_std);
  if (processor.do_normalize && (mean?.length !== 3 || std?.length !== 3)) return undefined;
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let b = 0; b < 256; b++) {
      // As the processor: a float32 copy of the byte, times rescale_factor into float32, then (x - mean) / std.
      let v = processor.do_rescale ? Math.fround(processor.rescale_factor * b) : b;
      if (processor.do_normalize) v = (v - mean![c]) / std![c];
      table[c * 256 + b] = v;
    }
  }
  return { cropWidth: cropWidth!, cropHeight: cropHeight!, table };
}

/** Can the recipe take this image as it is (at least as large as the crop)? Smaller ones need padding. */
export function fitsRecipe(recipe: PixelRecipe, img: DecodedImage): boolean {
  return img.width >= recipe.cropWidth && img.height >= recipe.cropHeight;
}

/** The batch's model input, [n, 3, cropHeight, cropWidth], from images that fit the recipe. */
export function pixelValuesOf(
  tf: TransformersModule,
  recipe: PixelRecipe,
  images: DecodedImage[],
): Transformers.Tensor {
  return new tf.Tensor('float32', pixelsOf(recipe, images), [images.length, 3, recipe.cropHeight, recipe.cropWidth]);
}

/**
 * The numbers of pixelValuesOf's tensor, channels first, image after image. Plain data and no transformers.js,
 * so that the threads that decode images (src/core/ingest/decode-thread.ts) make the model's input too.
 */
export function pixelsOf(recipe: PixelRecipe, images: DecodedImage[]): Float32Array {
  const { cropWidth: w, cropHeight: h, table } = recipe;
  const plane = w * h;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((img, n) => {
    // The processor's centre crop: offsets rounded down.
    const left = Math.floor((img.width - w) / 2);
    const top = Math.floor((img.height - h) / 2);
    const data = img.data;
    const red = n * 3 * plane;
    for (let y = 0; y < h; y++) {
      let src = ((top + y) * img.width + left) * 3;
      let dst = red + y * w;
      for (let x = 0; x < w; x++, src += 3, dst++) {
        out[dst] = table[data[src]];
        out[dst + plane] = table[256 + data[src + 1]];
        out[dst + 2 * plane] = table[512 + data[src + 2]];
      }
    }
  });
  return out;
}

/**
 * Tokenises a batch for the text tower: start and end tokens, right padding with the pad token (mask 0).
 * Done here rather than with the tokenizer's own `truncation: true`, because transformers.js truncates after
 * adding the special tokens and so drops <|endoftext|> from long texts, the very token CLIP pools at; here a
 * text longer than the context keeps its first tokens and its end token.
 */
export function encodeTexts(
  tf: TransformersModule,
  tokenizer: Transformers.PreTrainedTokenizer,
  model: Model,
  texts: string[],
): { input_ids: Transformers.Tensor; attention_mask: Transformers.Tensor } {
  // The tokenizer's model_max_length, capped by the text model's position table (a tokenizer_config without
  // model_max_length reports a huge number).
  const config = model.config as unknown as {
    max_position_embeddings?: number;
    text_config?: { max_position_embeddings?: number };
  };
  const positions = config.text_config?.max_position_embeddings ?? config.max_position_embeddings ?? Infinity;
  const maxLength: unknown = tokenizer.model_max_length; // typed any: the tokenizer config's value, or Infinity
  const context = Math.min(typeof maxLength === 'number' && maxLength > 1 ? maxLength : Infinity, positions);
  if (!Number.isFinite(context))
    throw new Error('neither the tokenizer nor the text model gives a maximum text length');
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

/**
 * The tensor called `name` in what a processor or a model's forward() returned (both typed any by
 * transformers.js): an object of named tensors.
 */
export function namedTensor(tf: TransformersModule, result: unknown, name: string): Transformers.Tensor {
  const tensor = typeof result === 'object' && result !== null ? (result as Record<string, unknown>)[name] : undefined;
  if (!(tensor instanceof tf.Tensor)) throw new Error(`expected a tensor called ${name} from transformers.js`);
  return tensor;
}

/** Splits a [n, dim] output into n L2-normalised rows (each its own Float32Array). */
export function unitRows(tensor: Transformers.Tensor, n: number, dim: number, towerFile: string): Float32Array[] {
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
    if (!(norm > 0) || !Number.isFinite(norm)) {
      // Only damaged weights do this (a zero or NaN vector cannot be normalised, and would poison search).
      throw new VectorTuneError(
        `the model returned a ${Number.isFinite(norm) ? 'zero' : 'non-finite'} embedding (item ${r} of ${n}): its weights are damaged.`,
        towerFile,
        'Download the model again, or point Vector Tune at an intact copy.',
      );
    }
    for (let i = 0; i < dim; i++) row[i] /= norm;
    rows.push(row);
  }
  return rows;
}

/**
 * A float32 tensor as float16, for fp16 towers (their pixel_values are float16). transformers.js 4.3's own
 * `Tensor.to('float16')` is wrong where there is no Float16Array (Node 20, the extension host's Node): it stores
 * each value cut to an integer (0.5 becomes 0) instead of its half-precision bits, and the model sees garbage.
 */
export function toFloat16(tf: TransformersModule, tensor: Transformers.Tensor): Transformers.Tensor {
  const data = tensor.data as Float32Array;
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const halves = new Uint16Array(data.length);
  for (let i = 0; i < halves.length; i++) halves[i] = float32BitsToHalfBits(bits[i]);
  return new tf.Tensor('float16', halves, tensor.dims);
}
