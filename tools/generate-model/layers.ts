/**
 * Transformer building blocks shared by the vision and text towers, laid out as CLIP's encoder layers are:
 * pre-LayerNorm, multi-head self-attention, residual, pre-LayerNorm, 4x MLP with quick-GELU, residual.
 *
 * Initialisation: matrices get std 1/sqrt(fan_in) so activations keep roughly unit scale through each layer
 * (random weights with CLIP's own tiny init would make every embedding nearly the same vector); biases get a
 * small std so that they exist and are non-zero without dominating; LayerNorms start at scale 1, bias 0.
 */
import { GraphBuilder } from '../../src/core/export/onnx-graph';
import { randomTensor } from './prng';

const BIAS_STD = 0.02;
/** Added to attention scores that must be ignored. Finite (not -Infinity) so a fully masked row gives no NaN. */
export const MASK_VALUE = -1e9;

export interface TowerContext {
  g: GraphBuilder;
  seed: number;
}

/** x @ W (+ b). W is [inDim, outDim], the layout ONNX MatMul wants, so no Transpose node is needed. */
export function linear(ctx: TowerContext, name: string, x: string, inDim: number, outDim: number, bias = true): string {
  const { g, seed } = ctx;
  const w = g.weight(
    `${name}.weight`,
    [inDim, outDim],
    randomTensor(seed, `${name}.weight`, inDim * outDim, 1 / Math.sqrt(inDim)),
  );
  const y = g.op('MatMul', [x, w]);
  if (!bias) return y;
  const b = g.weight(`${name}.bias`, [outDim], randomTensor(seed, `${name}.bias`, outDim, BIAS_STD));
  return g.op('Add', [y, b]);
}

/** Native LayerNormalization (opset 17) over the last axis; CLIP uses eps 1e-5. */
export function layerNorm(ctx: TowerContext, name: string, x: string, dim: number): string {
  const { g } = ctx;
  const scale = g.weight(`${name}.weight`, [dim], new Float32Array(dim).fill(1));
  const bias = g.weight(`${name}.bias`, [dim], new Float32Array(dim));
  return g.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: 1e-5 } });
}

/** CLIP's quick-GELU: x * sigmoid(1.702 x). */
export function quickGelu(ctx: TowerContext, x: string): string {
  const { g } = ctx;
  const s = g.op('Sigmoid', [g.op('Mul', [x, g.scalar(1.702)])]);
  return g.op('Mul', [x, s]);
}

/**
 * Multi-head self-attention on x [B, T, D]. `mask`, when given, is added to the scores [B, H, T, T]
 * (it broadcasts: the text tower passes [B, 1, T, T] holding the causal and padding masks).
 */
export function selfAttention(
  ctx: TowerContext,
  name: string,
  x: string,
  width: number,
  heads: number,
  mask?: string,
): string {
  const { g } = ctx;
  if (width % heads !== 0) throw new Error(`${name}: width ${width} is not divisible by ${heads} heads`);
  const headDim = width / heads;
  // One fused [D, 3D] projection then Split: fewer kernel launches than three MatMuls, same arithmetic.
  const qkv = linear(ctx, `${name}.qkv_proj`, x, width, 3 * width);
  const [q, k, v] = g.opN('Split', [qkv], [g.fresh('q'), g.fresh('k'), g.fresh('v')], { axis: -1 });
  // [B, T, D] -> [B, T, H, Dh]; a 0 in the Reshape target copies that input dimension (batch, sequence).
  const headShape = g.ints([0, 0, heads, headDim], 'head_shape');
  const split = (t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, headShape])], { perm });
  // Scale q before the product rather than the [T, T] scores after it: fewer multiplications.
  const qh = split(g.op('Mul', [q, g.scalar(1 / Math.sqrt(headDim))]), [0, 2, 1, 3]); // [B, H, T, Dh]
  const kt = split(k, [0, 2, 3, 1]); // [B, H, Dh, T]
  const vh = split(v, [0, 2, 1, 3]); // [B, H, T, Dh]
  let scores = g.op('MatMul', [qh, kt]); // [B, H, T, T]
  if (mask) scores = g.op('Add', [scores, mask]);
  const probs = g.op('Softmax', [scores], { axis: -1 });
  const context = g.op('Transpose', [g.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] }); // [B, T, H, Dh]
  const merged = g.op('Reshape', [context, g.ints([0, 0, width], 'merge_shape')]);
  return linear(ctx, `${name}.out_proj`, merged, width, width);
}

/** One CLIP encoder layer; returns the new residual stream. */
export function encoderLayer(
  ctx: TowerContext,
  name: string,
  x: string,
  width: number,
  heads: number,
  mask?: string,
): string {
  const { g } = ctx;
  const attn = selfAttention(
    ctx,
    `${name}.self_attn`,
    layerNorm(ctx, `${name}.layer_norm1`, x, width),
    width,
    heads,
    mask,
  );
  const afterAttn = g.op('Add', [x, attn]);
  const hidden = quickGelu(
    ctx,
    linear(ctx, `${name}.mlp.fc1`, layerNorm(ctx, `${name}.layer_norm2`, afterAttn, width), width, 4 * width),
  );
  const mlp = linear(ctx, `${name}.mlp.fc2`, hidden, 4 * width, width);
  return g.op('Add', [afterAttn, mlp]);
}
