import type { CandidateView } from '../../protocol/webview-protocol';
import { h, icon, setText } from '../dom';
import { formatScore } from '../state';
import { QuickScores, ScoreSlider, setScoreData, spokenScore } from './score-controls';
import { CardPlace } from './card-place';

export interface CardView {
  score: number | null;
  focused: boolean;
  editable: boolean;
}

/** "87%", with the ends kept honest: a probability of 0.998 is not "100%". */
export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return '?';
  if (p < 0.01) return p <= 0 ? '0%' : '<1%';
  if (p > 0.99) return p >= 1 ? '100%' : '>99%';
  return `${Math.round(p * 100)}%`;
}

/**
 * One image of the batch. Built once per batch; `update` touches only what changed, so a keypress costs
 * a few attribute writes on one or two cards rather than a grid rebuild.
 */
export class Card {
  readonly el: HTMLElement;
  private readonly quick: QuickScores;
  private readonly slider: ScoreSlider;
  private readonly chip: HTMLElement;
  private readonly place: CardPlace;
  private last: CardView | null = null;

  constructor(
    readonly index: number,
    readonly candidate: CandidateView,
    private readonly total: number,
  ) {
    const { name, src, probability, logit } = candidate;
    const thumb = h('div', { class: 'thumb', 'data-cmd': 'view', 'data-index': index, title: 'View larger  (Space)' });
    if (src) {
      const img = h('img', { src, alt: name, loading: 'lazy', decoding: 'async', draggable: 'false' });
      img.addEventListener('error', () => thumb.replaceChildren(brokenImage(name)), { once: true });
      thumb.append(img);
    } else {
      thumb.append(brokenImage(name));
    }
    this.chip = h('span', { class: 'score-chip', 'aria-hidden': 'true' });
    thumb.append(h('span', { class: 'ordinal', 'aria-hidden': 'true' }, String(index + 1)), this.chip);

    const fill = h('span', { class: 'prob-fill' });
    // CSSOM, not a style attribute: allowed under the panel's CSP.
    fill.style.width = `${Math.max(0, Math.min(1, probability)) * 100}%`;
    const prob = h(
      'span',
      { class: 'prob', title: `Model: p = ${probability.toFixed(3)}, logit ${logit.toFixed(2)}` },
      h('span', { class: 'prob-track', 'aria-hidden': 'true' }, fill),
      h('span', { class: 'prob-value' }, formatProbability(probability)),
    );
    const meta = h(
      'div',
      { class: 'meta' },
      h('span', { class: 'name', title: candidate.fullPath ?? name }, name),
      prob,
    );
    this.place = new CardPlace(index, candidate);

    this.quick = new QuickScores(index, name);
    this.slider = new ScoreSlider(index, name);
    this.el = h(
      'div',
      {
        class: 'card',
        role: 'listitem',
        tabindex: -1,
        'aria-posinset': index + 1,
        'aria-setsize': total,
        'data-testid': `card-${index}`,
        'data-index': index,
        'data-id': candidate.id,
      },
      thumb,
      h('div', { class: 'card-body' }, meta, this.place.el, this.quick.el, this.slider.el),
    );
  }

  update(view: CardView): void {
    const last = this.last;
    this.last = view;
    if (last && last.score === view.score && last.focused === view.focused && last.editable === view.editable) return;
    const { score, focused, editable } = view;
    setScoreData(this.el, score);
    setScoreData(this.chip, score);
    setText(this.chip, score === null ? '' : formatScore(score));
    this.el.classList.toggle('focused', focused);
    this.el.tabIndex = focused ? 0 : -1;
    const { name, probability } = this.candidate;
    this.el.setAttribute(
      'aria-label',
      `${name}, ${this.index + 1} of ${this.total}. Model ${formatProbability(probability)}. Score ${spokenScore(score)}.`,
    );
    // Roving tab stops: only the focused card's controls are in the tab order, so Tab leaves the grid.
    this.quick.update(score, editable, focused);
    this.slider.update(score, editable, focused);
    this.place.update(editable, focused);
  }
}

function brokenImage(name: string): HTMLElement {
  return h(
    'div',
    { class: 'broken', role: 'img', 'aria-label': `${name} (image unavailable)` },
    icon('image'),
    h('span', {}, 'Image unavailable'),
  );
}
