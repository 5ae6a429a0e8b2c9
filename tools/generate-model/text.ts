/**
 * The text tower: a causal transformer as in CLIPTextModelWithProjection.
 * input_ids, attention_mask [batch, seq] int64 -> text_embeds [batch, projection_dim].
 *
 * As CLIP does, the sentence is represented by the hidden state at the end-of-text token, found as the
 * argmax of input_ids per row (<|endoftext|> = 49407 is the largest id; with the pad token also 49407,
 * ONNX ArgMax returns the first occurrence, which is the real end token).
 */
import { GraphBuilder } from '../../src/core/export/onnx-graph';
import { encoderLayer, layerNorm, MASK_VALUE, TowerContext } from './layers';
import { randomTensor } from './prng';
import { ClipModelShape, CLIP_VOCAB_SIZE } from './shape';

/**
 * Token embeddings get a larger std than CLIP's 0.02: with random weights the residual stream must carry the
 * token's identity strongly enough that different prompts give clearly different embeddings.
 */
const TOKEN_STD = 0.5;
const POSITION_STD = 0.02;

export function buildTextModel(shape: ClipModelShape, seed: number): Uint8Array {
  const g = new GraphBuilder('clip_text_model');
  const ctx: TowerContext = { g, seed };
  const { textWidth: D, textLayers, textHeads, contextLength: C, projectionDim } = shape;
  const V = CLIP_VOCAB_SIZE;

  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);

  const tokenTable = g.weight(
    'embeddings.token_embedding.weight',
    [V, D],
    randomTensor(seed, 'embeddings.token_embedding.weight', V * D, TOKEN_STD),
  );
  const tokens = g.op('Gather', [tokenTable, ids], { axis: 0 }); // [B, T, D]

  // Positions 0..T-1: slice the [C, D] table to the actual sequence length T (read from the input's shape).
  const seqLen = g.op('Shape', [ids], { start: 1, end: 2 }); // [1] int64 holding T
  const posTable = g.weight(
    'embeddings.position_embedding.weight',
    [C, D],
    randomTensor(seed, 'embeddings.position_embedding.weight', C * D, POSITION_STD),
  );
  const positions = g.op('Slice', [posTable, g.ints([0]), seqLen, g.ints([0])]); // [T, D]
  let x = g.op('Add', [tokens, positions]);

  // One additive mask [B, 1, T, T] for all layers: causal (a token sees itself and earlier tokens) plus
  // padding (nobody attends to a position whose attention_mask is 0).
  const causalData = new Float32Array(C * C);
  for (let i = 0; i < C; i++) for (let j = i + 1; j < C; j++) causalData[i * C + j] = MASK_VALUE;
  const causalTable = g.weight('causal_mask', [C, C], causalData);
  const tt = g.op('Concat', [seqLen, seqLen], { axis: 0 });
  const causal = g.op('Slice', [causalTable, g.ints([0, 0]), tt, g.ints([0, 1])]); // [T, T]
  const maskF = g.op('Cast', [attentionMask], { to: 1 /* FLOAT */ });
  const padding = g.op('Mul', [g.op('Sub', [g.scalar(1), maskF]), g.scalar(MASK_VALUE)]); // [B, T]
  const padding4d = g.op('Unsqueeze', [padding, g.ints([1, 2], 'unsqueeze_axes')]); // [B, 1, 1, T]
  const mask = g.op('Add', [causal, padding4d]); // [B, 1, T, T]

  for (let i = 0; i < textLayers; i++) x = encoderLayer(ctx, `encoder.layers.${i}`, x, D, textHeads, mask);
  x = layerNorm(ctx, 'final_layer_norm', x, D);

  // Pool at the end-of-text token; GatherND with batch_dims 1 picks row b's hidden state at eosIndex[b].
  const eosIndex = g.op('ArgMax', [ids], { axis: 1, keepdims: 1 }); // [B, 1]
  const pooled = g.op('GatherND', [x, eosIndex], { batch_dims: 1 }); // [B, D]
  const proj = g.weight(
    'text_projection.weight',
    [D, projectionDim],
    randomTensor(seed, 'text_projection.weight', D * projectionDim, 1 / Math.sqrt(D)),
  );
  g.op('MatMul', [pooled, proj], {}, 'text_embeds');
  g.output('text_embeds', 'float32', ['batch_size', projectionDim]);

  return g.encode(`Generated stand-in for a CLIP text tower (random weights, seed ${seed}); not a trained model.`);
}
