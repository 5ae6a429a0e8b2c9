import type { TaskResult } from './stats';
import type { Method } from './run';

/**
 * A learning-curve chart, hand-written SVG (no dependencies): held-out AP against labels on a log axis (the
 * strategies' budget and random sampling's longer run both fit, and early rounds stay readable), the mean
 * over seeds as a line and the min-max over seeds as a shaded band, with the full-supervision reference and
 * its 90% level as dashed lines.
 */
const W = 900;
const H = 600;
const M = { left: 72, right: 190, top: 64, bottom: 64 };
/** Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. */
const COLOURS: Record<Method, string> = {
  top: '#0072B2',
  boundary: '#D55E00',
  mixed: '#009E73',
  'top-diverse': '#56B4E9',
  'boundary-diverse': '#E69F00',
  'mixed-diverse': '#CC79A7',
  random: '#6E6E6E',
};
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

export function learningCurveSvg(r: TaskResult): string {
  const maxLabels = Math.max(...r.summaries.map((s) => s.band[s.band.length - 1].labels));
  const minLabels = Math.min(...r.summaries.map((s) => s.band[0].labels));
  const maxAp = Math.max(r.full.ap, ...r.summaries.flatMap((s) => s.band.map((p) => p.max)));
  const yTop = Math.min(1, Math.ceil((maxAp + 0.05) * 10) / 10);
  const x = (labels: number) =>
    M.left +
    ((Math.log(labels) - Math.log(minLabels)) / (Math.log(maxLabels) - Math.log(minLabels))) * (W - M.left - M.right);
  const y = (ap: number) => H - M.bottom - (ap / yTop) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${M.left}" y="28" font-size="18" font-weight="bold" fill="#222">${esc(r.task)}: held-out average precision vs labels</text>`,
  );
  out.push(`<text x="${M.left}" y="48" font-size="12" fill="#555">${esc(subtitle(r))}</text>`);

  // Grid and axes.
  for (let v = 0; v <= yTop + 1e-9; v += 0.1) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}" stroke="#e6e6e6"/>`);
    out.push(
      `<text x="${M.left - 8}" y="${yy}" font-size="12" fill="#444" text-anchor="end" dominant-baseline="middle">${v.toFixed(1)}</text>`,
    );
  }
  for (const t of logTicks(minLabels, maxLabels)) {
    const xx = x(t).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eeeeee"/>`);
    out.push(`<text x="${xx}" y="${H - M.bottom + 18}" font-size="12" fill="#444" text-anchor="middle">${t}</text>`);
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#888"/>`,
  );
  out.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 18}" font-size="13" fill="#222" text-anchor="middle">labels (log scale; includes the 3 start examples)</text>`,
  );
  out.push(
    `<text transform="translate(20 ${(M.top + H - M.bottom) / 2}) rotate(-90)" font-size="13" fill="#222" text-anchor="middle">average precision (held-out)</text>`,
  );

  // Reference lines, labelled at the left where the curves are still low (at the right they cross them).
  const refs: [number, string, string][] = [
    [r.full.ap, `full supervision (every pool label) ${r.full.ap.toFixed(3)}`, '6 3'],
    [0.9 * r.full.ap, `90% of it ${(0.9 * r.full.ap).toFixed(3)}`, '2 3'],
  ];
  for (const [v, label, dash] of refs) {
    const yy = y(v).toFixed(1);
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}" stroke="#222" stroke-dasharray="${dash}" stroke-width="1.2"/>`,
    );
    out.push(`<text x="${M.left + 6}" y="${(y(v) - 5).toFixed(1)}" font-size="11" fill="#222">${label}</text>`);
  }

  // The strategies' budget, where random sampling carries on alone.
  if (r.commonBudget < maxLabels) {
    const xx = x(r.commonBudget).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${H - M.bottom}" stroke="#999" stroke-dasharray="4 4"/>`);
    out.push(
      `<text x="${(x(r.commonBudget) + 5).toFixed(1)}" y="${M.top + 14}" font-size="11" fill="#555">strategies' budget</text>`,
    );
  }

  // Bands first, then lines on top, so no band hides a mean.
  for (const s of r.summaries) {
    const upper = s.band.map((p) => `${x(p.labels).toFixed(1)},${y(p.max).toFixed(1)}`);
    const lower = [...s.band].reverse().map((p) => `${x(p.labels).toFixed(1)},${y(p.min).toFixed(1)}`);
    out.push(
      `<polygon points="${[...upper, ...lower].join(' ')}" fill="${COLOURS[s.method]}" fill-opacity="0.13" stroke="none"/>`,
    );
  }
  for (const s of r.summaries) {
    const pts = s.band.map((p) => `${x(p.labels).toFixed(1)},${y(p.mean).toFixed(1)}`).join(' ');
    out.push(
      `<polyline points="${pts}" fill="none" stroke="${COLOURS[s.method]}" stroke-width="2.2" stroke-linejoin="round"/>`,
    );
  }

  // Legend, outside the plot on the right: method, its mean AP at the common budget, labels to 90%.
  const lx = W - M.right + 18;
  out.push(`<text x="${lx}" y="${M.top + 4}" font-size="12" font-weight="bold" fill="#222">mean over seeds,</text>`);
  out.push(`<text x="${lx}" y="${M.top + 19}" font-size="12" font-weight="bold" fill="#222">min-max band</text>`);
  r.summaries.forEach((s, i) => {
    const ly = M.top + 48 + i * 60;
    const reach = s.reach[0];
    const to90 = reach.meanReached === null ? 'never' : `${reach.meanReached.toFixed(0)} labels`;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="26" height="18" fill="${COLOURS[s.method]}" fill-opacity="0.13"/>`);
    out.push(
      `<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${COLOURS[s.method]}" stroke-width="2.2"/>`,
    );
    out.push(`<text x="${lx + 34}" y="${ly}" font-size="13" fill="#222" dominant-baseline="middle">${s.method}</text>`);
    out.push(
      `<text x="${lx + 34}" y="${ly + 16}" font-size="11" fill="#555" dominant-baseline="middle">AP@${r.commonBudget} ${s.apAtCommonBudget.mean.toFixed(3)}</text>`,
    );
    out.push(
      `<text x="${lx + 34}" y="${ly + 30}" font-size="11" fill="#555" dominant-baseline="middle">90%: ${to90} (${reach.reached}/${reach.perSeed.length})</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function subtitle(r: TaskResult): string {
  const random = r.summaries.find((s) => s.method === 'random');
  const longer = random && random.budget > r.commonBudget ? `; random sampling continues to ${random.budget}` : '';
  return `${r.seeds.length} seeds, batches of 10 after 3 start positives; held-out base rate ${(100 * r.baseRate).toFixed(1)}%${longer}`;
}

/** 1-2-3-5 ticks per decade within [lo, hi], plus both ends. */
function logTicks(lo: number, hi: number): number[] {
  const ticks = new Set<number>([lo]);
  for (let decade = 1; decade <= hi; decade *= 10) {
    for (const m of [1, 2, 3, 5]) {
      const t = m * decade;
      if (t > lo * 1.3 && t < hi / 1.4) ticks.add(t); // keep clear of the end ticks' labels
    }
  }
  ticks.add(hi);
  return [...ticks].sort((a, b) => a - b);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
