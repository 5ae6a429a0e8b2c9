import type { CandidateView } from '../../protocol/webview-protocol';
import { h, icon } from '../dom';

/**
 * Where a card's image lives and what to do from there: its folder (relative to the workspace; the full path on
 * hover), "More like this" (a batch of the unseen images nearest it) and "Reveal in Explorer".
 */
export class CardPlace {
  readonly el: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly reveal: HTMLButtonElement | null;

  constructor(index: number, candidate: CandidateView) {
    const { name, folder, fullPath } = candidate;
    const where = folder === undefined ? 'imported record' : folder === '' ? 'workspace root' : folder;
    this.more = h(
      'button',
      {
        type: 'button',
        class: 'icon-btn place-btn',
        'data-cmd': 'more-like',
        'data-index': index,
        'data-testid': `more-like-${index}`,
        'aria-label': `More like ${name}`,
        title: 'More like this: a batch of the unseen images nearest this one  (M)',
        tabindex: -1,
      },
      icon('similar'),
    );
    // Only files inside the workspace have a place in the Explorer.
    this.reveal = fullPath
      ? h(
          'button',
          {
            type: 'button',
            class: 'icon-btn place-btn',
            'data-cmd': 'reveal',
            'data-index': index,
            'data-testid': `reveal-${index}`,
            'aria-label': `Reveal ${name} in Explorer`,
            title: 'Reveal in Explorer',
            tabindex: -1,
          },
          icon('folder'),
        )
      : null;
    this.el = h(
      'div',
      { class: 'place' },
      h(
        'span',
        { class: 'folder', 'data-testid': `folder-${index}`, title: fullPath ?? candidate.id },
        icon('folder', 'icon folder-icon'),
        // Marks at both ends keep a leading or trailing dot or slash in place under the right-to-left cut.
        h('span', { class: 'folder-text' }, `\u200e${where}\u200e`),
      ),
      this.more,
      this.reveal,
    );
  }

  /** Roving tab stops, as the score controls: only the focused card's buttons are in the tab order. */
  update(editable: boolean, focused: boolean): void {
    // A search replaces the batch, so it waits while the batch is being trained on.
    this.more.disabled = !editable;
    this.more.tabIndex = focused ? 0 : -1;
    if (this.reveal) this.reveal.tabIndex = focused ? 0 : -1;
  }
}
