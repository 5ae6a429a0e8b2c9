import type { DecodedImage } from './image';
import type { ModelPrecision } from './precision';

/**
 * What the engine needs from an embedding model. CLIP provides both halves; an imported, image-only encoder
 * (embeddings from .npy) provides neither at run time, which is why prompts need a text encoder.
 */
export interface ImageEmbedder {
  readonly modelId: string;
  readonly dimension: number;
  /** The model's precision (a store holds vectors of one); absent: fp32. */
  readonly precision?: ModelPrecision;
  /** Input side length the model expects, so images can be shrunk on load. */
  readonly imageSize: number;
  /** L2-normalised embeddings, one per image, in order. */
  embedImages(images: DecodedImage[]): Promise<Float32Array[]>;
}

export interface TextEmbedder {
  readonly modelId: string;
  readonly dimension: number;
  readonly precision?: ModelPrecision;
  embedTexts(texts: string[]): Promise<Float32Array[]>;
}
