import { h, icon, kbd, setAttr, setText } from '../dom';
import { candidatesOf, canEdit, formatScore, type PanelModel, scoreOf } from '../state';
import { formatProbability } from './card';
import { QuickScores, ScoreSlider, setScoreData } from './score-controls';

/**
 * The larger view of the focused image, inside the panel (a modal overlay): the same score controls and
 * keys as the grid, with left/right stepping through the batch. "Open in Editor" (Shift+O) is the only
 * thing that leaves the panel.
 */
export class Viewer {
  readonly el: HTMLElement;
  private readonly dialog: HTMLElement;
  private readonly img = h('img', { class: 'viewer-img', alt: '', draggable: 'false' });
  private readonly missing = h(
    'div',
    { class: 'broken', hidden: true },
    icon('image'),
    h('span', {}, 'Image unavailable'),
  );
  private readonly pos = h('span', { class: 'viewer-pos', 'data-testid': 'viewer-position' });
  private readonly name = h('span', { class: 'viewer-name', id: 'viewer-name' });
  private readonly prob = h('span', { class: 'viewer-prob' });
  private readonly chip = h('span', { class: 'score-chip large', 'data-testid': 'viewer-score' });
  private readonly controls = h('div', { class: 'viewer-controls' });
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private target = -1;
  private quick: QuickScores | null = null;
  private slider: ScoreSlider | null = null;

  constructor() {
    this.img.addEventListener('error', () => {
      this.img.hidden = true;
      this.missing.hidden = false;
    });
    this.prev = h(
      'button',
      {
        type: 'button',
        class: 'nav-btn prev',
        'data-cmd': 'prev',
        'aria-label': 'Previous image',
        title: 'Previous  (\u2190)',
      },
      icon('prev'),
    );
    this.next = h(
      'button',
      {
        type: 'button',
        class: 'nav-btn next',
        'data-cmd': 'next',
        'aria-label': 'Next image',
        title: 'Next  (\u2192)',
      },
      icon('next'),
    );
    const openEditor = h(
      'vscode-button',
      {
        secondary: true,
        'data-cmd': 'open-editor',
        'data-testid': 'viewer-open-editor',
        title: 'Open the image in an editor tab  (Shift+O)',
      },
      icon('external'),
      h('span', { class: 'btn-text' }, 'Open in Editor'),
    );
    const close = h(
      'button',
      {
        type: 'button',
        class: 'icon-btn',
        'data-cmd': 'close-overlay',
        'data-testid': 'viewer-close',
        'aria-label': 'Close',
        title: 'Close  (Escape)',
      },
      icon('close'),
    );
    this.dialog = h(
      'div',
      { class: 'dialog viewer', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'viewer-name', tabindex: -1 },
      h(
        'div',
        { class: 'viewer-head' },
        this.pos,
        this.name,
        this.prob,
        this.chip,
        h('span', { class: 'spacer' }),
        openEditor,
        close,
      ),
      h(
        'div',
        { class: 'viewer-stage' },
        this.prev,
        h('div', { class: 'viewer-frame' }, this.img, this.missing),
        this.next,
      ),
      h(
        'div',
        { class: 'viewer-foot' },
        this.controls,
        h(
          'span',
          { class: 'viewer-hint' },
          kbd('\u2190', '\u2192'),
          ' previous / next  ',
          kbd('1\u20135'),
          ' score  ',
          kbd('Esc'),
          ' close',
        ),
      ),
    );
    this.el = h(
      'div',
      { class: 'overlay viewer-overlay', 'data-cmd': 'backdrop', 'data-testid': 'viewer', hidden: true },
      this.dialog,
    );
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  update(model: PanelModel): void {
    const show = model.overlay === 'viewer';
    const wasOpen = this.open;
    this.el.hidden = !show;
    if (!show) {
      this.target = -1;
      return;
    }
    const candidates = candidatesOf(model);
    const c = candidates[model.focus];
    if (!c) return;
    const score = scoreOf(model, c.id);
    if (this.target !== model.focus) {
      this.target = model.focus;
      this.img.hidden = !c.src;
      this.missing.hidden = !!c.src;
      if (c.src) this.img.src = c.src;
      this.img.alt = c.name;
      setText(this.name, c.name);
      this.name.title = c.name;
      setText(this.pos, `${model.focus + 1} / ${candidates.length}`);
      setText(this.prob, `model ${formatProbability(c.probability)}`);
      this.prob.title = `p = ${c.probability.toFixed(3)}, logit ${c.logit.toFixed(2)}`;
      this.quick = new QuickScores(model.focus, c.name);
      this.slider = new ScoreSlider(model.focus, c.name);
      this.controls.replaceChildren(this.quick.el, this.slider.el);
    }
    const editable = canEdit(model);
    this.quick?.update(score, editable, true);
    this.slider?.update(score, editable, true);
    setScoreData(this.chip, score);
    setText(this.chip, score === null ? 'skip' : formatScore(score));
    setAttr(this.prev, 'disabled', model.focus === 0);
    setAttr(this.next, 'disabled', model.focus >= candidates.length - 1);
    // Focus moves into the dialog when it opens, so Tab stays inside it (the rest of the panel is inert).
    if (!wasOpen) this.dialog.focus();
  }
}
