import type { ProgressView } from '../../protocol/webview-protocol';
import { h, setAttr, setText } from '../dom';

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 160;
const HEIGHT = 36;

/**
 * The header's progress line: positives and negatives so far, the last batch's hits ("4 of 12"), the latest held-out
 * AP, a small chart over the rounds of this session (bars: hits per batch; line: how much of the head's top 100
 * changed since the round before; purple line with dots: the held-out AP on the rounds that measured it; all three
 * are shares, on one 0..1 axis) and, once the head has settled, the hint to try boundary or to evaluate and stop.
 */
export class ProgressLine {
  readonly el: HTMLElement;
  private readonly text = h('span', { class: 'progress-text', 'data-testid': 'progress-text' });
  private readonly heldOut = h('span', { class: 'held-out-ap', 'data-testid': 'held-out-ap', hidden: true });
  private readonly chart = document.createElementNS(SVG_NS, 'svg');
  private readonly hint = h('span', {
    class: 'settle-hint',
    'data-testid': 'settle-hint',
    role: 'status',
    hidden: true,
  });
  private last = '';

  constructor() {
    this.chart.setAttribute('class', 'progress-chart');
    this.chart.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    this.chart.setAttribute('role', 'img');
    this.chart.setAttribute('data-testid', 'progress-chart');
    this.el = h(
      'div',
      { class: 'progress-line', 'data-testid': 'progress' },
      this.text,
      this.heldOut,
      this.chart,
      this.hint,
    );
  }

  update(progress: ProgressView | undefined): void {
    const key = JSON.stringify(progress ?? null);
    if (key === this.last) return;
    this.last = key;
    setAttr(this.el, 'hidden', !progress);
    if (!progress) return;
    const last = progress.rounds.at(-1);
    setText(
      this.text,
      `${progress.positives} positive \u00b7 ${progress.negatives} negative` +
        (progress.neutral ? ` \u00b7 ${progress.neutral} at 0` : '') +
        (last ? ` \u00b7 last batch ${last.hits} of ${last.shown}` : ''),
    );
    const measured = progress.rounds.filter((r) => r.heldOutAp !== undefined).at(-1);
    setAttr(this.heldOut, 'hidden', !measured);
    setText(this.heldOut, measured ? `held-out AP ${formatAp(measured.heldOutAp!)} (round ${measured.round})` : '');
    this.drawChart(progress.rounds);
    setAttr(this.hint, 'hidden', !progress.settled);
    setText(this.hint, progress.settled ? 'Settled: try boundary, or evaluate and stop.' : '');
  }

  private drawChart(rounds: ProgressView['rounds']): void {
    this.chart.replaceChildren();
    setAttr(this.chart, 'hidden', rounds.length === 0);
    if (rounds.length === 0) return;
    const slot = WIDTH / Math.max(rounds.length, 5);
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = rounds
      .map(
        (r) =>
          `round ${r.round}: ${r.hits} of ${r.shown} hits${r.churn === null ? '' : `, top-100 churn ${Math.round(r.churn * 100)}%`}` +
          (r.heldOutAp === undefined ? '' : `, held-out AP ${formatAp(r.heldOutAp)}`),
      )
      .join('\n');
    this.chart.append(title);
    this.chart.setAttribute('aria-label', `Progress over ${rounds.length} rounds. ${title.textContent}`);
    rounds.forEach((r, i) => {
      const height = r.shown === 0 ? 0 : (r.hits / r.shown) * (HEIGHT - 2);
      this.chart.append(
        svg('rect', { class: 'hits-bar', x: i * slot + 1, y: HEIGHT - height, width: Math.max(slot - 2, 1), height }),
      );
    });
    const points = rounds
      .map((r, i) => (r.churn === null ? null : `${i * slot + slot / 2},${HEIGHT - 1 - r.churn * (HEIGHT - 2)}`))
      .filter((p): p is string => p !== null);
    if (points.length > 0) this.chart.append(svg('polyline', { class: 'churn-line', points: points.join(' ') }));
    const ap = rounds.flatMap((r, i) =>
      r.heldOutAp === undefined || r.heldOutAp === null
        ? []
        : [[i * slot + slot / 2, HEIGHT - 1 - r.heldOutAp * (HEIGHT - 2)]],
    );
    if (ap.length > 1)
      this.chart.append(svg('polyline', { class: 'ap-line', points: ap.map((p) => p.join(',')).join(' ') }));
    for (const [cx, cy] of ap) this.chart.append(svg('circle', { class: 'ap-dot', cx, cy, r: 2.5 }));
  }
}

function formatAp(ap: number | null): string {
  return ap === null ? 'n/a' : ap.toFixed(2);
}

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
