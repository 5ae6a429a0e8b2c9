/**
 * Heads as ONNX nodes: from a [N, D] float32 tensor of embeddings to `logits` [N, H] (one column per head, in
 * the order given) and `probabilities` (their sigmoid, or a calibrated head's calibrated probability: Platt or isotonic), with each head's own preprocessing as the engine applies
 * it (apply-head.ts): subtract the head's centre when it has one, L2-normalise, then w·x + b.
 *
 * Only operators whose meaning has not changed since opset 13 (Mul, MatMul, Sqrt, Max, Div, Sub, Add, Concat,
 * Gather, Sigmoid; the isotonic step function adds Cast, Min, GreaterOrEqual, Greater), so the nodes fit onto any vision graph from opset 13 on, whatever opset it was exported
 * with. Reductions are avoided for that reason: ReduceSum and ReduceL2 moved their axes from an attribute to
 * an input between opsets; the squared norm is a MatMul with a column of ones instead.
 */
import type { IsotonicFit } from '../calibration/isotonic';
import { currentCalibration, type HeadWeights } from '../head/weights-file';
import { isotonicColumn } from './isotonic-graph';
import type { GraphBuilder } from './onnx-graph';

export const LOGITS = 'logits';
export const PROBABILITIES = 'probabilities';

/** Below this norm a vector counts as zero: it scores `b`, as in the engine, instead of NaN. */
const TINY_NORM = 1e-30;

export interface HeadGraphOptions {
  /**
   * The embeddings are a model's raw output, which the engine L2-normalises before storing or scoring them
   * (CLIP's image_embeds): normalise them first, as the engine does.
   */
  normaliseInput: boolean;
}

/** Appends the heads to `g`, reading `embeddings` [N, D]; adds the graph outputs `logits` and `probabilities`. */
export function appendHeads(
  g: GraphBuilder,
  embeddings: string,
  heads: readonly HeadWeights[],
  options: HeadGraphOptions,
): void {
  if (heads.length === 0) throw new Error('no heads to export');
  const dimension = heads[0].model.dimension;
  for (const name of [LOGITS, PROBABILITIES])
    if (g.has(name)) throw new Error(`the graph already has a tensor called ${name}`);

  const ones = g.weight(g.fresh('head.ones'), [dimension, 1], new Float32Array(dimension).fill(1));
  const unit = (x: string) => {
    const squaredNorm = g.op('MatMul', [g.op('Mul', [x, x]), ones]); // [N, 1]
    const norm = g.op('Max', [g.op('Sqrt', [squaredNorm]), g.scalar(TINY_NORM, 'head.tiny_norm')]);
    return g.op('Div', [x, norm]);
  };
  const input = options.normaliseInput ? unit(embeddings) : embeddings;
  // The head's preprocessing: centre, then L2 (an input normalised above needs no second normalisation).
  const preprocessed = (centre: number[] | null, n: number) => {
    if (centre === null) return options.normaliseInput ? input : unit(input);
    const centreWeight = g.weight(g.fresh(`head.centre${n}`), [dimension], Float32Array.from(centre));
    return unit(g.op('Sub', [input, centreWeight]));
  };

  // Heads that share a centre (usually: none) share the centring and the normalisation.
  const groups = groupByCentre(heads);
  const partials = groups.map((group, n) => {
    const x = preprocessed(group.centre, n);
    const w = new Float32Array(dimension * group.heads.length);
    group.heads.forEach(({ head }, column) => {
      for (let i = 0; i < dimension; i++) w[i * group.heads.length + column] = head.w[i];
    });
    const matrix = g.weight(g.fresh(`head.w${n}`), [dimension, group.heads.length], w);
    const bias = g.weight(
      g.fresh(`head.b${n}`),
      [group.heads.length],
      Float32Array.from(group.heads.map(({ head }) => head.b)),
    );
    return g.op('Add', [g.op('MatMul', [x, matrix]), bias], {}, groups.length === 1 ? LOGITS : undefined);
  });
  if (groups.length > 1) {
    // The groups' columns side by side, then put back in the order the heads were given.
    const concatenated = g.op('Concat', partials, { axis: 1 });
    const order = groups.flatMap((group) => group.heads.map(({ index }) => index));
    const columnOf = heads.map((_, index) => order.indexOf(index));
    g.op('Gather', [concatenated, g.ints(columnOf, 'head.columns')], { axis: 1 }, LOGITS);
  }
  // A head calibrated with Platt scaling (calibrate) gives sigmoid(a·logit + c); one calibrated with isotonic
  // regression its step function (isotonic-graph.ts); the others the sigmoid of the logit.
  const platt = heads.map((h) => plattOf(h));
  const isotonic = heads.map((h) => isotonicOf(h));
  const sigmoids = isotonic.some((fit) => fit !== null) ? undefined : PROBABILITIES;
  let sigmoid: string;
  if (platt.some((p) => p !== null)) {
    const scale = g.weight(g.fresh('head.platt_a'), [heads.length], Float32Array.from(platt.map((p) => p?.a ?? 1)));
    const shift = g.weight(g.fresh('head.platt_c'), [heads.length], Float32Array.from(platt.map((p) => p?.c ?? 0)));
    sigmoid = g.op('Sigmoid', [g.op('Add', [g.op('Mul', [LOGITS, scale]), shift])], {}, sigmoids);
  } else sigmoid = g.op('Sigmoid', [LOGITS], {}, sigmoids);
  if (sigmoids === undefined) {
    // Column by column: an isotonic head's own, the others' taken from the sigmoids.
    const columns = isotonic.map((fit, h) =>
      fit ? isotonicColumn(g, LOGITS, h, fit) : g.op('Gather', [sigmoid, g.ints([h], 'head.column')], { axis: 1 }),
    );
    g.op('Concat', columns, { axis: 1 }, PROBABILITIES);
  }
  g.output(LOGITS, 'float32', ['batch_size', heads.length]);
  g.output(PROBABILITIES, 'float32', ['batch_size', heads.length]);
}

/** The head's Platt calibration of its current weights, or null (none, stale, or isotonic). */
export function plattOf(head: HeadWeights): { a: number; c: number } | null {
  const calibration = currentCalibration(head);
  return calibration?.method === 'platt' ? calibration.platt! : null;
}

/** The head's isotonic calibration of its current weights, or null (none, stale, or Platt). */
export function isotonicOf(head: HeadWeights): IsotonicFit | null {
  const calibration = currentCalibration(head);
  return calibration?.method === 'isotonic' ? calibration.isotonic! : null;
}

/** How a head's `probabilities` column is made. */
export function probabilityKind(head: HeadWeights): 'sigmoid' | 'platt' | 'isotonic' {
  return currentCalibration(head)?.method ?? 'sigmoid';
}

interface CentreGroup {
  centre: number[] | null;
  heads: { head: HeadWeights; index: number }[];
}

function groupByCentre(heads: readonly HeadWeights[]): CentreGroup[] {
  const groups = new Map<string, CentreGroup>();
  heads.forEach((head, index) => {
    const centre = head.preprocessing.centre;
    const key = centre ? JSON.stringify(centre) : 'none';
    const group = groups.get(key) ?? { centre, heads: [] };
    group.heads.push({ head, index });
    groups.set(key, group);
  });
  return [...groups.values()];
}
