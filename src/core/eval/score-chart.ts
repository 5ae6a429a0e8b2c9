import type { EvaluationResult } from './evaluation-result';
import { clean, niceTicks } from './nice-scale';
import { axes, COLOURS, legend, LegendItem, makePlot, num, shown, svgDocument } from './svg-chart';

const SIZE = { width: 560, height: 380 };
const MARGIN = { left: 62, top: 78, right: 24, bottom: 52 };

/**
 * The score histogram. With truth, positives and negatives side by side in each bin, each as a share of
 * its own class: held-out sets are imbalanced (a 3% class would be invisible in raw counts), and what the
 * reader needs is how far apart the two distributions lie and where the thresholds cut them. The counts
 * are in the legend and in the JSON. Without truth, one bar of counts per bin.
 */
export function scoreHistogramSvg(result: EvaluationResult): string {
  const h = result.histogram;
  const bins = h.all.length;
  const byClass = h.positives !== null && h.negatives !== null && result.metrics !== null;
  const positives = result.metrics?.positives ?? 0;
  const negatives = result.metrics?.negatives ?? 0;
  const share = (counts: number[], total: number) => counts.map((c) => (total > 0 ? (100 * c) / total : 0));
  const series = byClass
    ? [
        { values: share(h.negatives!, negatives), colour: COLOURS.negative, cls: 'bar negative' },
        { values: share(h.positives!, positives), colour: COLOURS.positive, cls: 'bar positive' },
      ]
    : [{ values: h.all, colour: COLOURS.curve, cls: 'bar all' }];

  const decision = 0;
  const best = result.metrics?.atBestF1?.threshold;
  const [x0, x1] = xDomain(h.edges, decision);
  const yMax = Math.max(1e-9, ...series.flatMap((s) => s.values));
  // 5% headroom, so the tallest bar never touches the legend band.
  const yTicks = niceTicks(0, yMax * 1.05, 5, !byClass);
  const xTicks = niceTicks(x0, x1, 8).filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9);
  const plot = makePlot(SIZE, MARGIN, [x0, x1], [0, yTicks[yTicks.length - 1]]);
  const body = axes(
    plot,
    xTicks,
    yTicks,
    { x: 'logit (w·x + b)', y: byClass ? 'share of class (%)' : 'records' },
    { x: tickText, y: tickText },
  );

  // Bars: each bin split into one slot per series, with a pixel of air on both sides.
  body.push('<g stroke="none">');
  for (let b = 0; b < bins; b++) {
    const left = plot.x(h.edges[b]);
    const slot = (plot.x(h.edges[b + 1]) - left) / series.length;
    series.forEach((s, k) => {
      if (s.values[b] <= 0) return;
      const y = plot.y(s.values[b]);
      const width = Math.max(1, slot - (series.length > 1 ? 1 : 2));
      body.push(
        `<rect class="${s.cls}" x="${num(left + k * slot + (series.length > 1 && k === 0 ? 1 : 0.5))}" y="${num(y)}" width="${num(width)}" height="${num(plot.bottom - y)}" fill="${s.colour}" fill-opacity="0.85"/>`,
      );
    });
  }
  body.push('</g>');

  const items: LegendItem[] = byClass
    ? [
        { symbol: { kind: 'box', colour: COLOURS.positive }, text: `positive (${positives})` },
        { symbol: { kind: 'box', colour: COLOURS.negative }, text: `negative (${negatives})` },
      ]
    : [{ symbol: { kind: 'box', colour: COLOURS.curve }, text: `all records (${result.data.records}, no truth)` }];
  body.push(...thresholdLine(plot, decision, COLOURS.decision, '5 3', 'logit 0', x0, x1));
  items.push({
    symbol: { kind: 'line', colour: COLOURS.decision, dash: '5 3', width: 1.5 },
    text: inRange(decision, x0, x1) ? 'logit 0 (decision)' : 'logit 0 (off the chart)',
  });
  if (best !== undefined && byClass) {
    body.push(...thresholdLine(plot, best, COLOURS.best, '2 3', 'best F1', x0, x1));
    items.push({
      symbol: { kind: 'line', colour: COLOURS.best, dash: '2 3', width: 2 },
      text: `best-F1 threshold (${shown(best, 2)})`,
    });
  }
  body.push(...legend(items, 16, 46, SIZE.width - 16));
  const n = byClass ? `${positives} positives and ${negatives} negatives` : `${result.data.records} records`;
  return svgDocument(
    plot,
    `Score histogram: ${result.head.name}`,
    `Histogram of the logits of head ${result.head.name} on ${n}`,
    body,
  );
}

/**
 * The bins' range, widened to show logit 0 when that at most doubles it: the decision threshold is the
 * most telling line on the chart, but not worth squashing every bar into a corner.
 */
function xDomain(edges: number[], decision: number): [number, number] {
  let lo = edges[0] ?? -1;
  let hi = edges[edges.length - 1] ?? 1;
  const span = hi - lo;
  if (decision < lo && lo - decision <= span) lo = decision;
  if (decision > hi && decision - hi <= span) hi = decision;
  return [lo, hi];
}

function inRange(v: number, lo: number, hi: number): boolean {
  return v >= lo && v <= hi;
}

function thresholdLine(
  plot: ReturnType<typeof makePlot>,
  v: number,
  colour: string,
  dash: string,
  label: string,
  lo: number,
  hi: number,
): string[] {
  if (!inRange(v, lo, hi)) return [];
  const x = num(plot.x(v));
  return [
    `<line class="threshold" x1="${x}" x2="${x}" y1="${plot.top - 4}" y2="${plot.bottom}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="${dash}"><title>${label}</title></line>`,
  ];
}

function tickText(v: number): string {
  return shown(clean(v));
}
