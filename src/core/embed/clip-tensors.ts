/**
 * Images in, vectors out: the inputs clip.ts feeds the two towers, and the L2-normalised rows it returns.
 */
import type * as Transformers from '@huggingface/transformers';
import type { Model, TransformersModule } from './clip-load';
import { DecodedImage, resizeShortSide } from './image';

/**
 * Wraps a decoded image for the processor. transformers.js resizes in Node with a plain bicubic affine
 * transform, which aliases badly when shrinking a large photo; so the shrink to the processor's target size
 * is done here with libvips's antialiased cubic reduce, and the processor's own resize becomes a no-op.
 */
export async function toRawImage(tf: TransformersModule, img: DecodedImage, index: number, shortestEdge: number | undefined): Promise<Transformers.RawImage> {
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
export function encodeTexts(
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
export function unitRows(tensor: Transformers.Tensor, n: number, dim: number): Float32Array[] {
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
