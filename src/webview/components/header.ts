import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import { append, h, icon, kbd, setAttr, setText } from '../dom';
import { candidatesOf, canEdit, headSummary, type PanelModel, scoreOf, unscoredCount } from '../state';
import { sourceLabel } from './look-bar';
import { setScoreData } from './score-controls';
import { actionButton } from './states';
import { ProgressLine } from './progress-chart';
import { AuditBanner, AuditFigures, isAuditBatch } from './audit-banner';

/** Small numbers in fixed notation, tiny ones in exponent form, so "w moved 0.000" never hides a change. */
export function formatMetric(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x === 0 || Math.abs(x) >= 0.001 ? x.toFixed(3) : x.toExponential(1);
}

const count = (n: number) => n.toLocaleString();

/**
 * The sticky bar above the grid: which head, how far it has come, what this batch's submit will do, and
 * the batch actions. Built once per batch screen and updated in place.
 */
export class Header {
  readonly el: HTMLElement;
  private readonly name = h('h1', { class: 'head-name', 'data-testid': 'head-name' });
  /** Where the batch came from: the strategy of the head's own batch, or the search that made it. */
  private readonly strategy = h('span', { class: 'chip', 'data-testid': 'batch-source' });
  private readonly stats = h('div', { class: 'stats', 'data-testid': 'stats' });
  private readonly lastRound = h('span', { class: 'last-round', 'data-testid': 'last-round' });
  private readonly pips = h('div', { class: 'pips', 'aria-hidden': 'true' });
  private readonly scored = h('span', { class: 'scored', 'data-testid': 'scored-count' });
  private readonly unscored = h('span', { class: 'unscored', 'data-testid': 'unscored-count' });
  private readonly busy = h('vscode-progress-bar', {
    class: 'busy',
    indeterminate: true,
    'aria-label': 'Training',
    hidden: true,
  });
  private readonly notice = h('div', { class: 'notice', role: 'alert', 'data-testid': 'notice', hidden: true });
  private readonly undoButton: VscodeButton;
  private readonly restButton: VscodeButton;
  private readonly submitButton: VscodeButton;
  private readonly submitLabel = h('span', { class: 'submit-label' });
  private last = '';
  private readonly progress = new ProgressLine();
  private readonly auditBanner = new AuditBanner();
  private readonly auditFigures = new AuditFigures();

  constructor() {
    this.undoButton = button(
      'undo',
      'Undo the last score change  (U)',
      true,
      icon('undo'),
      h('span', { class: 'btn-text' }, 'Undo'),
      kbd('U'),
    );
    this.restButton = button(
      'rest-negative',
      'Score every unscored image \u22121: "the rest are negative"  (A)',
      true,
      h('span', { class: 'btn-text' }, 'Rest \u22121'),
      kbd('A'),
    );
    this.submitButton = button(
      'submit',
      'Train on these scores and show the next batch  (Enter)',
      false,
      this.submitLabel,
      kbd('Enter'),
    );
    this.el = h(
      'header',
      { class: 'topbar', 'data-testid': 'header' },
      this.busy,
      h(
        'div',
        { class: 'topbar-row' },
        h('div', { class: 'title' }, this.name, this.strategy),
        h('div', { class: 'actions' }, this.undoButton, this.restButton, this.submitButton),
      ),
      h('div', { class: 'topbar-row secondary' }, this.stats, this.lastRound, actionButton('showLabelled', true)),
      this.progress.el,
      this.auditFigures.el,
      this.auditBanner.el,
      h(
        'div',
        { class: 'topbar-row progress-row' },
        this.pips,
        h('span', { class: 'tally', 'aria-live': 'polite' }, this.scored, this.unscored),
      ),
      this.notice,
    );
  }

  /**
   * Between batches the extension shows "loading"; the old batch stays on screen, dimmed, with the message
   * here, rather than the whole panel flashing to a spinner and back.
   */
  showLoading(message: string): void {
    this.last = '';
    setAttr(this.busy, 'hidden', false);
    setText(this.scored, message);
    setText(this.unscored, '');
    for (const b of [this.undoButton, this.restButton, this.submitButton]) b.disabled = true;
  }

  update(model: PanelModel): void {
    const summary = headSummary(model);
    const candidates = candidatesOf(model);
    const n = candidates.length;
    const open = n - unscoredCount(model);
    const editable = canEdit(model);
    // One string of everything shown: a keypress that changed none of it touches no DOM here.
    const key = JSON.stringify([
      summary,
      n,
      open,
      editable,
      model.inFlight,
      model.submitted,
      model.undo.length,
      model.notice,
      model.focus,
      candidates.map((c) => scoreOf(model, c.id)),
    ]);
    if (key === this.last) return;
    this.last = key;

    if (summary) {
      const { head, labelCount, lastRound } = summary;
      setText(this.name, head.name);
      const source = sourceLabel(model.state.kind === 'batch' ? model.state.source : undefined, head);
      setText(this.strategy, source.text);
      this.strategy.title = source.title;
      this.progress.update(head.progress);
      this.auditFigures.update(head);
      this.stats.replaceChildren(
        stat(labelCount, labelCount === 1 ? 'label' : 'labels'),
        stat(head.storeCount, 'images'),
        stat(head.seenCount, 'seen'),
      );
      setAttr(this.lastRound, 'hidden', !lastRound);
      if (lastRound) {
        this.lastRound.replaceChildren(
          h('span', { class: 'round' }, `Round ${lastRound.round}`),
          metric('loss', formatMetric(lastRound.loss), 'Training loss (binary cross-entropy) after this round'),
          metric('w moved', formatMetric(lastRound.moved), 'How far the weight vector w moved in this round'),
        );
      }
    }

    this.pips.replaceChildren(
      ...candidates.map((c, i) => {
        const pip = h('span', { class: i === model.focus ? 'pip focused' : 'pip' });
        setScoreData(pip, scoreOf(model, c.id));
        return pip;
      }),
    );
    setText(this.scored, `${open} of ${n} scored`);
    const skipped = n - open;
    setText(this.unscored, skipped === 0 ? '' : ` \u00b7 ${skipped} unscored will be skipped`);

    this.undoButton.disabled = !editable || model.undo.length === 0;
    this.restButton.disabled = !editable || skipped === 0;
    this.submitButton.disabled = !editable;
    this.auditBanner.update(model.state);
    // Audit scores are saved, not trained on: the button says so.
    const [busyText, doneText, idleText] = isAuditBatch(model.state)
      ? ['Saving...', 'Saved', 'Save Audit Scores']
      : ['Training...', 'Trained', 'Submit Batch'];
    setText(this.submitLabel, model.inFlight ? busyText : model.submitted ? doneText : idleText);
    setAttr(this.busy, 'hidden', !(model.inFlight || model.submitted));

    setAttr(this.notice, 'hidden', !model.notice);
    if (model.notice) {
      this.notice.replaceChildren();
      append(this.notice, [
        icon('warning'),
        h('span', { class: 'notice-text' }, model.notice.message),
        !model.notice.userError &&
          h('button', { type: 'button', class: 'link-btn', 'data-cmd': 'run', 'data-action': 'showLog' }, 'Show Log'),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-btn',
            'data-cmd': 'dismiss-notice',
            'aria-label': 'Dismiss',
            title: 'Dismiss  (Escape)',
          },
          icon('close'),
        ),
      ]);
    }
  }
}

function button(cmd: string, title: string, secondary: boolean, ...children: (Node | string)[]): VscodeButton {
  return h('vscode-button', { 'data-cmd': cmd, 'data-testid': cmd, title, secondary }, ...children);
}

function stat(n: number, what: string): HTMLElement {
  return h('span', { class: 'stat' }, h('strong', {}, count(n)), ` ${what}`);
}

function metric(name: string, value: string, title: string): HTMLElement {
  return h('span', { class: 'metric', title }, `${name} `, h('strong', {}, value));
}
