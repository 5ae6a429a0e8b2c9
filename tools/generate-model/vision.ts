/**
 * The vision tower: a ViT as in CLIPVisionModelWithProjection.
 * pixel_values [batch, 3, S, S] -> image_embeds [batch, projection_dim] (not normalised, as CLIP's export).
 */
import { GraphBuilder } from '../../src/core/export/onnx-graph';
import { encoderLayer, layerNorm, TowerContext } from './layers';
import { randomTensor } from './prng';
import { ClipModelShape } from './shape';

/** Small std for the class and position embeddings: the tokens should be driven by image content. */
const EMBED_STD = 0.02;

export function buildVisionModel(shape: ClipModelShape, seed: number): Uint8Array {
  const g = new GraphBuilder('clip_vision_model');
  const ctx: TowerContext = { g, seed };
  const { imageSize: S, patchSize: P, visionWidth: D, visionLayers, visionHeads, projectionDim } = shape;
  const grid = S / P;
  const tokens = grid * grid + 1;

  const pixels = g.input('pixel_values', 'float32', ['batch_size', 3, S, S]);

  // Patch embedding: a Conv whose kernel and stride are the patch size, no bias (as CLIP).
  const fanIn = 3 * P * P;
  const convW = g.weight(
    'embeddings.patch_embedding.weight',
    [D, 3, P, P],
    randomTensor(seed, 'embeddings.patch_embedding.weight', D * fanIn, 1 / Math.sqrt(fanIn)),
  );
  const patches = g.op('Conv', [pixels, convW], { kernel_shape: [P, P], strides: [P, P] }); // [B, D, G, G]
  const flat = g.op('Reshape', [patches, g.ints([0, D, grid * grid])]); // [B, D, N]
  const patchTokens = g.op('Transpose', [flat], { perm: [0, 2, 1] }); // [B, N, D]

  // The class token, repeated over the batch: Expand to [B, 1, D], B read from the input's shape.
  const cls = g.weight(
    'embeddings.class_embedding',
    [1, 1, D],
    randomTensor(seed, 'embeddings.class_embedding', D, EMBED_STD),
  );
  const batch = g.op('Shape', [pixels], { start: 0, end: 1 });
  const clsShape = g.op('Concat', [batch, g.ints([1, D])], { axis: 0 });
  const clsTokens = g.op('Expand', [cls, clsShape]);
  const sequence = g.op('Concat', [clsTokens, patchTokens], { axis: 1 }); // [B, N + 1, D]

  const pos = g.weight(
    'embeddings.position_embedding.weight',
    [1, tokens, D],
    randomTensor(seed, 'embeddings.position_embedding.weight', tokens * D, EMBED_STD),
  );
  let x = g.op('Add', [sequence, pos]);
  x = layerNorm(ctx, 'pre_layrnorm', x, D); // CLIP's own (misspelt) name for the pre-LayerNorm.

  for (let i = 0; i < visionLayers; i++) x = encoderLayer(ctx, `encoder.layers.${i}`, x, D, visionHeads);

  // Pool: the class token (position 0), post-LayerNorm, then the projection (no bias).
  const pooled = g.op('Gather', [x, g.ints([0], 'cls_index')], { axis: 1 }); // [B, 1, D]
  const pooled2d = g.op('Squeeze', [pooled, g.ints([1], 'squeeze_axes')]); // [B, D]
  const normed = layerNorm(ctx, 'post_layernorm', pooled2d, D);
  const proj = g.weight(
    'visual_projection.weight',
    [D, projectionDim],
    randomTensor(seed, 'visual_projection.weight', D * projectionDim, 1 / Math.sqrt(D)),
  );
  g.op('MatMul', [normed, proj], {}, 'image_embeds');
  g.output('image_embeds', 'float32', ['batch_size', projectionDim]);

  return g.encode(`Generated stand-in for a CLIP vision tower (random weights, seed ${seed}); not a trained model.`);
}
