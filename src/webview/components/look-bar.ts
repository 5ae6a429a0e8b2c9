import {
  BATCH_SIZES,
  type BatchSource,
  type HeadView,
  STRATEGY_NAMES,
  type StrategyName,
} from '../../protocol/webview-protocol';
import { h, icon, kbd, setAttr } from '../dom';
import { canEdit, headSummary, type PanelModel, THUMB_SIZES, type ThumbSize } from '../state';

const STRATEGY_TITLES: Record<StrategyName, string> = {
  top: 'top: the images the head rates most positive',
  boundary: 'boundary: the images the head is least sure about',
  mixed: 'mixed: half top, half boundary',
  'top-diverse': 'top-diverse: top, with near-duplicates (of each other or of labelled images) collapsed to one',
  'boundary-diverse':
    'boundary-diverse: boundary, with near-duplicates (of each other or of labelled images) collapsed to one',
  'mixed-diverse': 'mixed-diverse: mixed, with near-duplicates (of each other or of labelled images) collapsed to one',
};

const THUMB_LABELS: Record<ThumbSize, [short: string, long: string]> = {
  small: ['S', 'Small thumbnails'],
  medium: ['M', 'Medium thumbnails'],
  large: ['L', 'Large thumbnails'],
};

/** What the header's chip says about where the batch came from. */
export function sourceLabel(source: BatchSource | undefined, head: HeadView): { text: string; title: string } {
  if (source?.kind === 'text')
    return { text: `Search: \u201c${source.text}\u201d`, title: 'The unseen images nearest this text (CLIP)' };
  if (source?.kind === 'similar')
    return { text: `More like ${source.name}`, title: `The unseen images nearest ${source.id}` };
  if (source?.kind === 'audit')
    return {
      text: 'Audit sample',
      title:
        'Random records of the collection, not chosen by the head; their scores go to audit.jsonl, never trained on',
    };
  return {
    text: `${head.strategy} strategy`,
    title:
      'How candidates are chosen: top (highest w\u00b7x), boundary (nearest the decision boundary) or mixed; -diverse collapses near-duplicates',
  };
}

/**
 * The bar under the header for looking rather than scoring: a text search, the strategy and batch size of the
 * head's next batches, and the thumbnail size. Native form controls (in the theme's colours), so each is reachable
 * with Tab and works with the keys a user expects of it; `/` jumps to the search box.
 */
export class LookBar {
  readonly el: HTMLElement;
  readonly input = h('input', {
    type: 'search',
    class: 'search-input',
    placeholder: 'Search the images by text, e.g. \u201ca red hat\u201d',
    'aria-label': 'Search the images by text',
    'data-testid': 'search-input',
    maxlength: 1000,
    spellcheck: 'false',
  });
  private readonly searchButton = h(
    'button',
    {
      type: 'submit',
      class: 'look-btn',
      'data-testid': 'search-button',
      title: 'Show the unseen images nearest the text',
    },
    icon('search'),
    'Search',
  );
  private readonly strategy = select(
    'strategy',
    'Strategy of the next batches',
    STRATEGY_NAMES,
    (s) => s,
    STRATEGY_TITLES,
  );
  private readonly batchSize = select('batch-size', 'Images per batch', BATCH_SIZES.map(String), (n) => n);
  private readonly override = h(
    'span',
    {
      class: 'override-note',
      'data-testid': 'override-note',
      title:
        'Chosen in this panel for this workspace; changing the vectorTune.strategy or vectorTune.batchSize setting applies the setting again.',
      hidden: true,
    },
    'panel choice',
  );
  private readonly thumbs = THUMB_SIZES.map((size) =>
    h(
      'button',
      {
        type: 'button',
        class: 'seg-btn',
        'data-cmd': 'thumb-size',
        'data-size': size,
        'data-testid': `thumb-${size}`,
        'aria-label': THUMB_LABELS[size][1],
        title: THUMB_LABELS[size][1],
      },
      THUMB_LABELS[size][0],
    ),
  );

  constructor() {
    const form = h(
      'form',
      { class: 'search', role: 'search', 'data-cmd': 'search', 'data-testid': 'search-form' },
      icon('search', 'icon search-icon'),
      this.input,
      kbd('/'),
      this.searchButton,
    );
    this.el = h(
      'div',
      { class: 'look-bar', 'data-testid': 'look-bar' },
      form,
      h(
        'div',
        { class: 'look-options' },
        h('label', { class: 'look-field' }, 'Strategy', this.strategy),
        h('label', { class: 'look-field' }, 'Batch', this.batchSize),
        this.override,
        h(
          'div',
          { class: 'segmented', role: 'group', 'aria-label': 'Thumbnail size', title: 'Thumbnail size' },
          ...this.thumbs,
        ),
      ),
    );
  }

  update(model: PanelModel): void {
    const summary = headSummary(model);
    const busy = !canEdit(model);
    this.input.disabled = busy;
    this.searchButton.disabled = busy;
    if (summary) {
      const { strategy, batchSize, overridden } = summary.head;
      if (this.strategy.value !== strategy) this.strategy.value = strategy;
      if (batchSize !== undefined) {
        // A size the settings chose outside the list is offered too, so the control never lies.
        if (![...this.batchSize.options].some((o) => o.value === String(batchSize)))
          this.batchSize.append(h('option', { value: batchSize }, String(batchSize)));
        if (this.batchSize.value !== String(batchSize)) this.batchSize.value = String(batchSize);
      }
      setAttr(this.override, 'hidden', !overridden);
    }
    for (const button of this.thumbs) setAttr(button, 'aria-pressed', String(button.dataset.size === model.thumbSize));
  }

  focusSearch(): void {
    this.input.focus();
    this.input.select();
  }
}

function select<T extends string>(
  cmd: string,
  label: string,
  values: readonly T[],
  text: (value: T) => string,
  titles?: Record<T, string>,
): HTMLSelectElement {
  return h(
    'select',
    { class: 'look-select', 'data-cmd': cmd, 'data-testid': `${cmd}-select`, 'aria-label': label, title: label },
    ...values.map((v) => h('option', { value: v, title: titles?.[v] }, text(v))),
  );
}
