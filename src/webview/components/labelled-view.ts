import type { LabelledView, PanelNotification, PanelState } from '../../protocol/webview-protocol';
import { h, icon, setText } from '../dom';
import { formatScore, QUICK_SCORES } from '../state';
import { annotatorScores, kappaSection, settleSelect, sortByAnnotatorDisagreement } from './annotator-agreement';
import { formatProbability } from './card';

type LabelledState = Extract<PanelState, { kind: 'labelled' }>;
type Order = 'round' | 'disagreement' | 'annotators';
type ScoreFilter = 'all' | 'positive' | 'negative' | 'unsure';

const SCORE_FILTERS: Record<ScoreFilter, [label: string, keep: (s: number) => boolean]> = {
  all: ['All scores', () => true],
  positive: ['Positive (> 0)', (s) => s > 0],
  negative: ['Negative (< 0)', (s) => s < 0],
  unsure: ['Unsure (0)', (s) => s === 0],
};

/**
 * Most contradicted first, else newest round first; ties by path so the order is stable. `annotators`: only the
 * images whose annotators disagree, open ones first, largest first.
 */
export function sortLabelled(records: readonly LabelledView[], order: Order): LabelledView[] {
  if (order === 'annotators') return sortByAnnotatorDisagreement(records);
  const byRound = (a: LabelledView, b: LabelledView) => b.round - a.round || (a.path < b.path ? -1 : 1);
  return [...records].sort(order === 'round' ? byRound : (a, b) => b.disagreement - a.disagreement || byRound(a, b));
}

/**
 * The Labelled view: the head's labelled images (thumbnail, score, round, what the head now thinks), filtered by
 * score and path, sorted by round or by disagreement. Changing a score or removing a label is sent to the
 * extension, which appends the line to labels.jsonl, retrains and sends the view again. Filters and order are
 * this screen's own and survive those refreshes.
 */
export class LabelledScreen {
  readonly el: HTMLElement;
  private order: Order = 'round';
  private scoreFilter: ScoreFilter = 'all';
  private pathFilter = '';
  private state: LabelledState | null = null;
  private readonly list = h('div', { class: 'labelled-list', role: 'list', 'data-testid': 'labelled-list' });
  private readonly kappa = h('div', { class: 'kappa-slot' });
  private readonly summary = h('p', { class: 'labelled-summary', role: 'status', 'data-testid': 'labelled-summary' });
  private readonly undoButton = h(
    'vscode-button',
    { secondary: true, 'data-testid': 'labelled-undo', disabled: true },
    icon('undo'),
    'Undo',
  );

  constructor(private readonly send: (message: PanelNotification) => void) {
    const order = select(
      'labelled-order',
      'Sort',
      [
        ['round', 'Newest round first'],
        ['disagreement', 'Most contradicted by the head first'],
        ['annotators', 'Annotators disagree, largest first'],
      ],
      (v) => {
        this.order = v as Order;
        this.renderList();
      },
    );
    const scores = select(
      'labelled-score-filter',
      'Score',
      Object.entries(SCORE_FILTERS).map(([k, [label]]) => [k, label]),
      (v) => {
        this.scoreFilter = v as ScoreFilter;
        this.renderList();
      },
    );
    const pathInput = h('input', {
      type: 'search',
      class: 'labelled-path',
      placeholder: 'Filter by path',
      'aria-label': 'Filter by path',
      'data-testid': 'labelled-path-filter',
    });
    pathInput.addEventListener('input', () => {
      this.pathFilter = pathInput.value.trim().toLowerCase();
      this.renderList();
    });
    this.undoButton.addEventListener('click', () => this.send({ kind: 'notify', method: 'undoLabels' }));
    const back = h(
      'vscode-button',
      { 'data-cmd': 'run', 'data-action': 'nextBatch', 'data-testid': 'labelled-back' },
      'Back to Batch',
    );
    const toolbar = h('div', { class: 'labelled-toolbar' }, order, scores, pathInput, this.undoButton, back);
    this.el = h(
      'main',
      { class: 'labelled', 'data-testid': 'state-labelled', 'aria-label': 'Labelled images' },
      h('h1', { class: 'head-name', 'data-testid': 'labelled-title' }),
      toolbar,
      this.kappa,
      this.summary,
      this.list,
    );
    // Arrow keys and digits in these controls are theirs, not the scoring grid's (main.ts listens on document);
    // Enter and Space on the kappa table's summary open it, rather than submit.
    this.el.addEventListener('keydown', (e) => {
      const tag = (e.target as HTMLElement | null)?.tagName?.toLowerCase();
      if (tag === 'select' || tag === 'input' || tag === 'summary') e.stopPropagation();
    });
  }

  update(state: LabelledState): void {
    this.state = state;
    setText(this.el.querySelector('h1')!, `Labelled images of "${state.head.name}"`);
    this.undoButton.toggleAttribute('disabled', state.undo === null);
    this.undoButton.setAttribute('title', state.undo ? `Undo: ${state.undo}` : 'Nothing to undo in this session');
    // The kappa table stays open or closed through the refresh after a change.
    const open = this.kappa.querySelector('details')?.open ?? false;
    const section = kappaSection(state.agreement);
    (section as HTMLDetailsElement).open = open;
    this.kappa.replaceChildren(section);
    this.renderList();
  }

  private renderList(): void {
    if (!this.state) return;
    const keep = SCORE_FILTERS[this.scoreFilter][1];
    const all = this.state.records;
    const shown = sortLabelled(all, this.order).filter(
      (r) => keep(r.score) && (!this.pathFilter || r.path.toLowerCase().includes(this.pathFilter)),
    );
    const positives = all.filter((r) => r.score > 0).length;
    const negatives = all.filter((r) => r.score < 0).length;
    const neutral = all.length - positives - negatives;
    setText(
      this.summary,
      `${all.length} labelled: ${positives} positive, ${negatives} negative${neutral ? `, ${neutral} at 0` : ''}. Showing ${shown.length}.`,
    );
    this.list.replaceChildren(...shown.map((r) => this.row(r)));
  }

  private row(r: LabelledView): HTMLElement {
    const thumb = h('div', { class: 'labelled-thumb' });
    if (r.src)
      thumb.append(h('img', { src: r.src, alt: r.name, loading: 'lazy', decoding: 'async', draggable: 'false' }));
    else thumb.append(icon('image', 'icon broken'));
    const head = r.probability === null ? 'not in the store' : `head ${formatProbability(r.probability)}`;
    const scoreSelect = select(
      'labelled-score',
      `Score of ${r.name}`,
      [...new Set([...QUICK_SCORES, r.score])].sort((a, b) => a - b).map((s) => [String(s), formatScore(s)]),
      (v) => this.send({ kind: 'notify', method: 'changeLabel', id: r.id, score: Number(v) }),
      String(r.score),
    );
    const remove = h(
      'vscode-button',
      {
        secondary: true,
        'data-testid': 'labelled-remove',
        title: `Remove the label of ${r.name}: it may be offered again`,
      },
      'Remove',
    );
    remove.addEventListener('click', () => this.send({ kind: 'notify', method: 'changeLabel', id: r.id, score: null }));
    const bar = h('span', { class: 'disagreement-fill' });
    bar.style.width = `${Math.round(r.disagreement * 100)}%`; // CSSOM: allowed under the CSP
    return h(
      'div',
      {
        class: 'labelled-row',
        role: 'listitem',
        'data-testid': 'labelled-row',
        'data-id': r.id,
        'data-score': r.score,
      },
      thumb,
      h(
        'div',
        { class: 'labelled-meta' },
        h('span', { class: 'name', title: r.path || r.name }, r.name),
        h(
          'span',
          { class: 'labelled-facts' },
          `score ${formatScore(r.score)} \u00b7 round ${r.round} \u00b7 ${head}${r.by ? ` \u00b7 by ${r.by}` : ''}`,
        ),
        annotatorScores(r),
        h(
          'span',
          { class: 'disagreement', title: `The head contradicts this label by ${r.disagreement.toFixed(2)} (0..1)` },
          h('span', { class: 'disagreement-track', 'aria-hidden': 'true' }, bar),
          `contradiction ${r.disagreement.toFixed(2)}`,
        ),
      ),
      h('div', { class: 'labelled-actions' }, settleSelect(r, this.send), scoreSelect, remove),
    );
  }
}

/** A labelled native select (keyboard and screen readers as VS Code's own), calling `onChange` with the value. */
function select(
  testid: string,
  label: string,
  options: [value: string, text: string][],
  onChange: (value: string) => void,
  value?: string,
): HTMLElement {
  const el = h('select', { class: 'labelled-select', 'aria-label': label, 'data-testid': testid });
  for (const [v, text] of options) el.append(h('option', { value: v, selected: v === value }, text));
  if (value !== undefined) el.value = value;
  el.addEventListener('change', () => onChange(el.value));
  return el;
}
