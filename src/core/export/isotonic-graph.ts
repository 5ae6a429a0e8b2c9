/**
 * An isotonic calibration (calibration/isotonic.ts) as ONNX nodes, computing exactly what isotonicProbability
 * computes: knots (x_k, p_k), linear between knots, held flat beyond them. As a sum that needs no search:
 *
 *   p(x) = p_0 + sum over segments x_k < x_k+1 of  slope_k · (min(max(x, x_k), x_k+1) - x_k)
 *              + sum over repeated knots x_k = x_k+1 of  (p_k+1 - p_k) · [x >= x_k]   ([x > x_k] at the first knot)
 *
 * Below the first knot every term is 0 (p_0); above the last each segment adds its whole rise, which telescopes
 * to the last knot's probability. Repeated knots (only in a hand-edited file; fitIsotonic never writes them) are
 * the function's jumps: the engine takes the later knot's value from x_k on, except at the very first knot.
 *
 * In double precision, from the logit cast up: knots rounded to float32 would shift a steep segment (two knots a
 * hair apart, as on a large audit sample) and move its probabilities by far more than float32's 1e-7. Operators:
 * Gather, Cast, Max, Min, Sub, MatMul, Add, GreaterOrEqual, Greater, unchanged in meaning from opset 13 on.
 */
import type { IsotonicFit } from '../calibration/isotonic';
import { CAST_TO, type GraphBuilder } from './onnx-graph';

/** The calibrated probability [N, 1] (float32) of column `column` of `logits` [N, H]. */
export function isotonicColumn(g: GraphBuilder, logits: string, column: number, fit: IsotonicFit): string {
  const { logits: xs, probabilities: ps } = fit;
  const x = g.op('Cast', [g.op('Gather', [logits, g.ints([column], 'iso.column')], { axis: 1 })], {
    to: CAST_TO.float64,
  }); // [N, 1]
  const segments: number[] = [];
  const jumps: number[] = [];
  for (let k = 0; k + 1 < xs.length; k++) (xs[k] < xs[k + 1] ? segments : jumps).push(k);
  let p = g.weight64(g.fresh('iso.p0'), [], Float64Array.of(ps[0]));
  if (segments.length > 0) {
    const lo = g.weight64(g.fresh('iso.lo'), [segments.length], Float64Array.from(segments.map((k) => xs[k])));
    const hi = g.weight64(g.fresh('iso.hi'), [segments.length], Float64Array.from(segments.map((k) => xs[k + 1])));
    const slopes = Float64Array.from(segments.map((k) => (ps[k + 1] - ps[k]) / (xs[k + 1] - xs[k])));
    const slope = g.weight64(g.fresh('iso.slope'), [segments.length, 1], slopes);
    const run = g.op('Sub', [g.op('Min', [g.op('Max', [x, lo]), hi]), lo]); // [N, S]
    p = g.op('Add', [p, g.op('MatMul', [run, slope])]);
  }
  const steps = (ks: number[], op: 'GreaterOrEqual' | 'Greater') => {
    if (ks.length === 0) return;
    const at = g.weight64(g.fresh('iso.jump_at'), [ks.length], Float64Array.from(ks.map((k) => xs[k])));
    const rise = g.weight64(g.fresh('iso.jump'), [ks.length, 1], Float64Array.from(ks.map((k) => ps[k + 1] - ps[k])));
    const on = g.op('Cast', [g.op(op, [x, at])], { to: CAST_TO.float64 }); // [N, J] of 0/1
    p = g.op('Add', [p, g.op('MatMul', [on, rise])]);
  };
  steps(
    jumps.filter((k) => xs[k] !== xs[0]),
    'GreaterOrEqual',
  );
  steps(
    jumps.filter((k) => xs[k] === xs[0]),
    'Greater',
  );
  // A single knot: a constant, broadcast to one value per row.
  if (segments.length === 0 && jumps.length === 0)
    p = g.op('Add', [g.op('Mul', [x, g.weight64(g.fresh('iso.zero'), [], Float64Array.of(0))]), p]);
  return g.op('Cast', [p], { to: CAST_TO.float32 });
}
