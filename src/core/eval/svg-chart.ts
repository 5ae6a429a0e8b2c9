/**
 * Hand-written SVG chart parts (no dependency): a plot frame with nice ticks, axes, grid and a legend.
 * Colours are explicit on a white card with a border, so a chart reads the same in VS Code's light and dark
 * Markdown preview and on a code host (an <img> SVG cannot see the page's theme, so currentColor would
 * resolve to black on a dark page).
 */
export const COLOURS = {
  background: '#ffffff',
  border: '#d0d7de',
  text: '#1f2328',
  muted: '#59636e',
  grid: '#eaeef2',
  axis: '#818b98',
  curve: '#0969da',
  curveFill: '#0969da',
  positive: '#d4580f',
  negative: '#0969da',
  decision: '#1f2328',
  best: '#d4580f',
} as const;

const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A number for display, with a typographic minus (a hyphen reads as a dash next to tick marks). */
export function shown(x: number, digits?: number): string {
  return (digits === undefined ? String(x) : x.toFixed(digits)).replace(/^-/, '\u2212');
}

/** Coordinates with two decimals: sub-pixel precision, short files, stable diffs. */
export function num(x: number): string {
  return String(Math.round(x * 100) / 100);
}

export interface Plot {
  width: number;
  height: number;
  /** The plotting area, in SVG pixels. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  x(value: number): number;
  y(value: number): number;
}

export function makePlot(
  size: { width: number; height: number },
  margin: { left: number; top: number; right: number; bottom: number },
  xDomain: [number, number],
  yDomain: [number, number],
): Plot {
  const left = margin.left;
  const right = size.width - margin.right;
  const top = margin.top;
  const bottom = size.height - margin.bottom;
  const scale = (d: [number, number], a: number, b: number) => (v: number) =>
    a + ((v - d[0]) / (d[1] - d[0] || 1)) * (b - a);
  return { ...size, left, top, right, bottom, x: scale(xDomain, left, right), y: scale(yDomain, bottom, top) };
}

/** The whole document: white card, title, then the chart's parts. `label` is the accessible description. */
export function svgDocument(plot: Plot, title: string, label: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${plot.width}" height="${plot.height}" viewBox="0 0 ${plot.width} ${plot.height}" role="img" aria-label="${esc(label)}" font-family="${esc(FONT)}" font-size="12">`,
    `<title>${esc(label)}</title>`,
    `<rect x="0.5" y="0.5" width="${plot.width - 1}" height="${plot.height - 1}" rx="6" fill="${COLOURS.background}" stroke="${COLOURS.border}"/>`,
    `<text x="16" y="24" font-size="14" font-weight="600" fill="${COLOURS.text}">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Grid lines at the ticks, the two axis lines, tick labels and axis titles. */
export function axes(
  plot: Plot,
  xTicks: number[],
  yTicks: number[],
  labels: { x: string; y: string },
  format: { x: (v: number) => string; y: (v: number) => string },
): string[] {
  const out: string[] = [`<g stroke="${COLOURS.grid}" stroke-width="1">`];
  for (const t of yTicks)
    out.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${num(plot.y(t))}" y2="${num(plot.y(t))}"/>`);
  for (const t of xTicks)
    out.push(`<line x1="${num(plot.x(t))}" x2="${num(plot.x(t))}" y1="${plot.top}" y2="${plot.bottom}"/>`);
  out.push('</g>');
  out.push(
    `<g stroke="${COLOURS.axis}" stroke-width="1">`,
    `<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}"/>`,
    `<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}"/>`,
    ...xTicks.map(
      (t) => `<line x1="${num(plot.x(t))}" x2="${num(plot.x(t))}" y1="${plot.bottom}" y2="${plot.bottom + 4}"/>`,
    ),
    ...yTicks.map(
      (t) => `<line x1="${plot.left - 4}" x2="${plot.left}" y1="${num(plot.y(t))}" y2="${num(plot.y(t))}"/>`,
    ),
    '</g>',
  );
  out.push(`<g fill="${COLOURS.muted}" font-size="11">`);
  for (const t of xTicks)
    out.push(`<text x="${num(plot.x(t))}" y="${plot.bottom + 17}" text-anchor="middle">${esc(format.x(t))}</text>`);
  for (const t of yTicks)
    out.push(`<text x="${plot.left - 7}" y="${num(plot.y(t) + 4)}" text-anchor="end">${esc(format.y(t))}</text>`);
  out.push('</g>');
  const midX = (plot.left + plot.right) / 2;
  const midY = (plot.top + plot.bottom) / 2;
  out.push(
    `<text x="${num(midX)}" y="${plot.bottom + 36}" text-anchor="middle" fill="${COLOURS.text}">${esc(labels.x)}</text>`,
    `<text transform="translate(16 ${num(midY)}) rotate(-90)" text-anchor="middle" fill="${COLOURS.text}">${esc(labels.y)}</text>`,
  );
  return out;
}

export type LegendSymbol =
  | { kind: 'line'; colour: string; dash?: string; width?: number }
  | { kind: 'box'; colour: string }
  | { kind: 'dot'; colour: string }
  | { kind: 'diamond'; colour: string };

export interface LegendItem {
  symbol: LegendSymbol;
  text: string;
}

/**
 * A legend flowing left to right from (x, y), wrapping at `maxRight`. Text width is estimated (no font
 * metrics in a string builder); the estimate errs wide, so entries never overlap.
 */
export function legend(items: LegendItem[], x: number, y: number, maxRight: number): string[] {
  const out: string[] = [];
  let cx = x;
  let cy = y;
  for (const item of items) {
    const width = 22 + item.text.length * 6.4 + 16;
    if (cx > x && cx + width > maxRight) {
      cx = x;
      cy += 18;
    }
    out.push(
      symbol(item.symbol, cx, cy),
      `<text x="${num(cx + 22)}" y="${num(cy + 4)}" fill="${COLOURS.text}">${esc(item.text)}</text>`,
    );
    cx += width;
  }
  return out;
}

function symbol(s: LegendSymbol, x: number, y: number): string {
  switch (s.kind) {
    case 'line':
      return `<line x1="${num(x)}" x2="${num(x + 16)}" y1="${num(y)}" y2="${num(y)}" stroke="${s.colour}" stroke-width="${s.width ?? 2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`;
    case 'box':
      return `<rect x="${num(x + 2)}" y="${num(y - 6)}" width="12" height="12" rx="2" fill="${s.colour}"/>`;
    case 'dot':
      return marker('dot', x + 8, y, s.colour);
    case 'diamond':
      return marker('diamond', x + 8, y, s.colour);
  }
}

/** Point markers, with a white halo so they stand out on the curve they sit on; `cls` names a data point (tests count them). */
export function marker(kind: 'dot' | 'diamond', x: number, y: number, colour: string, cls?: string): string {
  const c = cls ? ` class="${cls}"` : '';
  if (kind === 'dot')
    return `<circle${c} cx="${num(x)}" cy="${num(y)}" r="5" fill="${colour}" stroke="#ffffff" stroke-width="1.5"/>`;
  const r = 6.5;
  return `<path${c} d="M${num(x)} ${num(y - r)}L${num(x + r)} ${num(y)}L${num(x)} ${num(y + r)}L${num(x - r)} ${num(y)}Z" fill="${colour}" stroke="#ffffff" stroke-width="1.5"/>`;
}
