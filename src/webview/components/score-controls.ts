import { h, setAttr } from '../dom';
import { formatScore, QUICK_SCORES } from '../state';

/** Labels of the quick buttons, in key order (key 1 = -1 ... key 5 = +1). */
const QUICK_LABELS = ['\u22121', '\u2212\u00bd', '0', '+\u00bd', '+1'];

/**
 * The stylesheet colours a card or chip by `data-sign` (neg, zero, pos, none) and `data-mag` (the score's
 * size rounded to a quarter), so the colour needs no inline style.
 */
export function setScoreData(el: HTMLElement, score: number | null): void {
  const sign = score === null ? 'none' : score > 0 ? 'pos' : score < 0 ? 'neg' : 'zero';
  const mag = score === null ? '0' : String(Math.round(Math.abs(score) * 4) / 4);
  if (el.dataset.sign !== sign) el.dataset.sign = sign;
  if (el.dataset.mag !== mag) el.dataset.mag = mag;
  const attr = score === null ? '' : String(score);
  if (el.dataset.score !== attr) el.dataset.score = attr;
}

/** Words for screen readers: "plus 0.5", "not scored, will be skipped". */
export function spokenScore(score: number | null): string {
  if (score === null) return 'not scored, will be skipped';
  return formatScore(score).replace('\u2212', 'minus ').replace('+', 'plus ');
}

/**
 * The five quick-score buttons. Clicks are handled by delegation in main.ts through `data-cmd`; this class
 * only keeps the pressed state and the roving tab stops in step with the model.
 */
export class QuickScores {
  readonly el: HTMLElement;
  private readonly buttons: HTMLButtonElement[];
  private last = '';

  constructor(index: number, name: string) {
    this.buttons = QUICK_SCORES.map((value, k) =>
      h(
        'button',
        {
          type: 'button',
          class: 'quick-btn',
          'data-cmd': 'score',
          'data-index': index,
          'data-value': value,
          'data-sign': value > 0 ? 'pos' : value < 0 ? 'neg' : 'zero',
          'data-testid': `score-${k + 1}`,
          'aria-pressed': 'false',
          'aria-label': `Score ${spokenScore(value)}`,
          title: `Score ${formatScore(value)}  (key ${k + 1})`,
        },
        QUICK_LABELS[k],
      ),
    );
    this.el = h('div', { class: 'quick', role: 'group', 'aria-label': `Score ${name}` }, ...this.buttons);
  }

  /** The viewer reuses one set of buttons for whichever image it shows. */
  setTarget(index: number, name: string): void {
    for (const b of this.buttons) b.dataset.index = String(index);
    this.el.setAttribute('aria-label', `Score ${name}`);
  }

  update(score: number | null, enabled: boolean, tabbable: boolean): void {
    const key = `${score}|${enabled}|${tabbable}`;
    if (key === this.last) return;
    this.last = key;
    QUICK_SCORES.forEach((value, k) => {
      const b = this.buttons[k];
      b.setAttribute('aria-pressed', String(score === value));
      b.disabled = !enabled;
      b.tabIndex = tabbable ? 0 : -1;
    });
  }
}

/** The -1..+1 slider (step 0.25) and the clear ("skip") button beside it. */
export class ScoreSlider {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly clear: HTMLButtonElement;
  private last = '';

  constructor(index: number, name: string) {
    this.input = h('input', {
      type: 'range',
      class: 'slider',
      min: -1,
      max: 1,
      step: 0.25,
      value: 0,
      'data-cmd': 'slide',
      'data-index': index,
      'data-testid': 'slider',
      'aria-label': `Score for ${name}`,
    });
    this.clear = h(
      'button',
      {
        type: 'button',
        class: 'skip-btn',
        'data-cmd': 'clear',
        'data-index': index,
        'data-testid': 'skip',
        title: 'Skip: clear the score  (key 0)',
        'aria-label': `Skip ${name} (clear its score)`,
      },
      'Skip',
    );
    this.el = h('div', { class: 'slider-row' }, this.input, this.clear);
  }

  update(score: number | null, enabled: boolean, tabbable: boolean): void {
    const key = `${score}|${enabled}|${tabbable}`;
    if (key === this.last) return;
    this.last = key;
    // An unscored image shows the thumb at 0, hollow (see .slider.unset): 0 is a score, "unscored" is not.
    const value = String(score ?? 0);
    if (this.input.value !== value) this.input.value = value;
    this.input.classList.toggle('unset', score === null);
    setAttr(this.input, 'aria-valuetext', spokenScore(score));
    this.input.disabled = !enabled;
    this.input.tabIndex = tabbable ? 0 : -1;
    // "Skip" is the unscored state itself: pressed while the image has no score, a no-op click then.
    this.clear.disabled = !enabled;
    this.clear.setAttribute('aria-pressed', String(score === null));
    this.clear.tabIndex = tabbable ? 0 : -1;
  }
}
