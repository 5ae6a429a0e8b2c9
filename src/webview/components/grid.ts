import type { CandidateView } from '../../protocol/webview-protocol';
import { h } from '../dom';
import { canEdit, type PanelModel, scoreOf } from '../state';
import { Card } from './card';

/**
 * The batch's cards in a responsive CSS grid. Columns come from CSS (auto-fill), so the grid measures how
 * many it got and reports them: the reducer needs them for up/down.
 */
export class Grid {
  readonly el: HTMLElement;
  readonly cards: Card[];
  private readonly observer: ResizeObserver;
  private columns = 0;

  constructor(
    candidates: readonly CandidateView[],
    private readonly onColumns: (columns: number) => void,
  ) {
    this.cards = candidates.map((c, i) => new Card(i, c, candidates.length));
    this.el = h(
      'div',
      { class: 'grid', role: 'list', 'aria-label': `Batch of ${candidates.length} images`, 'data-testid': 'grid' },
      ...this.cards.map((c) => c.el),
    );
    this.observer = new ResizeObserver(() => this.remeasure());
    this.observer.observe(this.el);
  }

  /** Reports the columns again after a change the grid's own size does not show (the thumbnail size). */
  remeasure(): void {
    const columns = this.measureColumns();
    if (columns === this.columns) return;
    this.columns = columns;
    this.onColumns(columns);
  }

  /** The resolved track list ("212px 212px 212px") has one entry per column. */
  private measureColumns(): number {
    const tracks = getComputedStyle(this.el)
      .gridTemplateColumns.split(' ')
      .filter((t) => t && t !== 'none');
    return Math.max(1, tracks.length);
  }

  update(model: PanelModel): void {
    const editable = canEdit(model);
    for (const card of this.cards)
      card.update({ score: scoreOf(model, card.candidate.id), focused: card.index === model.focus, editable });
  }

  /** Moves DOM focus to the model's focused card, unless focus already sits inside it (a click on its slider). */
  focusCard(index: number): void {
    const card = this.cards[index];
    if (!card || card.el.contains(document.activeElement)) return;
    card.el.focus({ preventScroll: true });
    // A card of the first row shows the page from its top, so the look bar and the shortcut row stay in view:
    // scrolled into view instead, a panel still short when its batch arrived (VS Code lays a new webview out in
    // steps) kept the scroll once it grew, with that row tucked under the sticky header.
    if (card.el.offsetTop === this.cards[0].el.offsetTop) window.scrollTo({ top: 0 });
    else card.el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  dispose(): void {
    this.observer.disconnect();
  }
}
