/** The shapes of a generated CLIP model, and the presets the project uses. */

/** CLIP's BPE vocabulary size (49,152 minus the 256 bytes it started from, plus 256 bytes twice, plus 2 specials). */
export const CLIP_VOCAB_SIZE = 49408;
export const BOS_TOKEN_ID = 49406;
export const EOS_TOKEN_ID = 49407;

export interface ClipModelShape {
  /** Name recorded as `_name_or_path` in config.json, e.g. "vector-tune/generated-clip-tiny". */
  name: string;
  imageSize: number;
  patchSize: number;
  visionWidth: number;
  visionLayers: number;
  visionHeads: number;
  textWidth: number;
  textLayers: number;
  textHeads: number;
  /** Maximum tokens per text (CLIP: 77), including the start and end tokens. */
  contextLength: number;
  /** Size of the shared image-text embedding space. */
  projectionDim: number;
}

export type PresetName = 'tiny' | 'vit-b-32' | 'fast';

export const CLIP_PRESETS: Readonly<Record<PresetName, Readonly<ClipModelShape>>> = {
  // For tests: the real input size and patch grid (so preprocessing is exercised as for a real model), but
  // narrow and shallow. The text tower is 32 wide because its 49,408-row token table dominates the file size.
  tiny: {
    name: 'vector-tune/generated-clip-tiny',
    imageSize: 224,
    patchSize: 32,
    visionWidth: 64,
    visionLayers: 2,
    visionHeads: 2,
    textWidth: 32,
    textLayers: 2,
    textHeads: 2,
    contextLength: 77,
    projectionDim: 64,
  },
  // The shapes of openai/clip-vit-base-patch32, for throughput figures only (the weights are random).
  'vit-b-32': {
    name: 'vector-tune/generated-clip-vit-b-32',
    imageSize: 224,
    patchSize: 32,
    visionWidth: 768,
    visionLayers: 12,
    visionHeads: 12,
    textWidth: 512,
    textLayers: 12,
    textHeads: 8,
    contextLength: 77,
    projectionDim: 512,
  },
  // ViT-B/32's input, patch grid and embedding size, half as wide and half as deep: one onnxruntime thread runs
  // its vision tower at about 15 ms an image on the 2-core test machines, standing in for ViT-B/32 on a
  // laptop's faster cores (bench/indexing). The text tower is the tiny one's: no benchmark uses it.
  fast: {
    name: 'vector-tune/generated-clip-fast',
    imageSize: 224,
    patchSize: 32,
    visionWidth: 384,
    visionLayers: 6,
    visionHeads: 6,
    textWidth: 32,
    textLayers: 2,
    textHeads: 2,
    contextLength: 77,
    projectionDim: 512,
  },
};

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(CLIP_PRESETS, name);
}

/** Checks a shape before spending time building it; the messages say which field is wrong. */
export function validateShape(shape: ClipModelShape): void {
  const positive: (keyof ClipModelShape)[] = [
    'imageSize',
    'patchSize',
    'visionWidth',
    'visionLayers',
    'visionHeads',
    'textWidth',
    'textLayers',
    'textHeads',
    'contextLength',
    'projectionDim',
  ];
  for (const key of positive) {
    const v = shape[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new Error(`shape.${key} must be a positive integer, got ${v}`);
  }
  if (shape.imageSize % shape.patchSize !== 0)
    throw new Error(`imageSize ${shape.imageSize} is not a multiple of patchSize ${shape.patchSize}`);
  if (shape.visionWidth % shape.visionHeads !== 0)
    throw new Error(`visionWidth ${shape.visionWidth} is not divisible by visionHeads ${shape.visionHeads}`);
  if (shape.textWidth % shape.textHeads !== 0)
    throw new Error(`textWidth ${shape.textWidth} is not divisible by textHeads ${shape.textHeads}`);
  if (shape.contextLength < 2) throw new Error('contextLength must leave room for the start and end tokens');
}
