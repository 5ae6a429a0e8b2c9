/**
 * The numeric precision of the CLIP model's weights, as transformers.js names its ONNX files: fp32
 * `*_model.onnx`, fp16 `*_model_fp16.onnx`, q8 `*_model_quantized.onnx` (int8 weights). Vectors of two
 * precisions differ slightly, so a store holds vectors of one precision only.
 */
export const MODEL_PRECISIONS = ['fp32', 'fp16', 'q8'] as const;
export type ModelPrecision = (typeof MODEL_PRECISIONS)[number];

/** What every store written before precisions were recorded holds: the fp32 model was the only one used. */
export const DEFAULT_PRECISION: ModelPrecision = 'fp32';

export function isModelPrecision(value: unknown): value is ModelPrecision {
  return typeof value === 'string' && (MODEL_PRECISIONS as readonly string[]).includes(value);
}
