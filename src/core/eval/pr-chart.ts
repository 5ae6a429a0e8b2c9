import type { EvaluationResult } from './evaluation-result';
import { axes, COLOURS, legend, LegendItem, makePlot, marker, num, shown, svgDocument } from './svg-chart';

const SIZE = { width: 560, height: 380 };
const MARGIN = { left: 62, top: 78, right: 24, bottom: 52 };
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

/**
 * The precision-recall curve as the steps average precision integrates (so the shaded area is the AP), the
 * chance line at the base rate, and the two operating points: the head's own (logit 0) and the best F1.
 */
export function prCurveSvg(result: EvaluationResult): string | null {
  const m = result.metrics;
  const points = result.curves?.pr ?? [];
  if (!m || points.length === 0) return null;
  const plot = makePlot(SIZE, MARGIN, [0, 1], [0, 1]);
  const fmt = (v: number) => (v === 0 || v === 1 ? String(v) : v.toFixed(1));
  const body = axes(plot, TICKS, TICKS, { x: 'recall', y: 'precision' }, { x: fmt, y: fmt });

  // Steps: precision p_k holds from recall r_{k-1} to r_k (AP = sum (r_k - r_{k-1}) p_k).
  let d = `M${num(plot.x(0))} ${num(plot.y(points[0].precision))}`;
  points.forEach((p, k) => {
    if (k > 0) d += `V${num(plot.y(p.precision))}`;
    d += `H${num(plot.x(p.recall))}`;
  });
  const area = `${d}V${num(plot.y(0))}H${num(plot.x(0))}Z`;
  body.push(
    `<path d="${area}" fill="${COLOURS.curveFill}" fill-opacity="0.1" stroke="none"/>`,
    `<line x1="${plot.left}" x2="${plot.right}" y1="${num(plot.y(m.baseRate))}" y2="${num(plot.y(m.baseRate))}" stroke="${COLOURS.axis}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    `<path class="pr-curve" data-points="${points.length}" d="${d}" fill="none" stroke="${COLOURS.curve}" stroke-width="2.2" stroke-linejoin="round"/>`,
  );

  const items: LegendItem[] = [
    { symbol: { kind: 'line', colour: COLOURS.curve, width: 2.5 }, text: `PR curve (AP ${fmt3(m.averagePrecision)})` },
    { symbol: { kind: 'line', colour: COLOURS.axis, dash: '5 4' }, text: `chance (base rate ${fmt3(m.baseRate)})` },
  ];
  const decision = m.atDecision;
  if (decision.precision !== null && decision.recall !== null) {
    body.push(marker('dot', plot.x(decision.recall), plot.y(decision.precision), COLOURS.decision, 'point decision'));
    items.push({ symbol: { kind: 'dot', colour: COLOURS.decision }, text: `logit 0 (F1 ${fmt3(decision.f1)})` });
  } else {
    items.push({ symbol: { kind: 'dot', colour: COLOURS.axis }, text: 'logit 0: nothing predicted positive' });
  }
  const best = m.atBestF1;
  if (best && best.precision !== null && best.recall !== null) {
    body.push(marker('diamond', plot.x(best.recall), plot.y(best.precision), COLOURS.best, 'point best-f1'));
    items.push({
      symbol: { kind: 'diamond', colour: COLOURS.best },
      text: `best F1 ${fmt3(best.f1)} (logit > ${shown(best.threshold, 2)})`,
    });
  }
  body.push(...legend(items, 16, 46, SIZE.width - 16));
  const title = `Precision-recall: ${result.head.name}`;
  const label = `Precision-recall curve of head ${result.head.name}: average precision ${fmt3(m.averagePrecision)} on ${m.n} records, base rate ${fmt3(m.baseRate)}`;
  return svgDocument(plot, title, label, body);
}

function fmt3(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3);
}
