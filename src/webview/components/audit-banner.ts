import type { EstimateView, HeadView, PanelState } from '../../protocol/webview-protocol';
import { h, icon, setAttr, setText } from '../dom';

const fmt = (x: number) => x.toFixed(2);

/** "est. recall 0.62 [0.48-0.75]": an audit figure always reads as an estimate with its 95% interval. */
export function estimateText(name: string, e: EstimateView): string {
  return e ? `est. ${name} ${fmt(e.value)} [${fmt(e.low)}-${fmt(e.high)}]` : `est. ${name} n/a`;
}

/** Whether the batch on screen is from the audit sample. */
export function isAuditBatch(state: PanelState): boolean {
  return state.kind === 'batch' && state.source?.kind === 'audit';
}

/**
 * The banner over an audit batch: its records are random, not the head's picks, and their scores are kept apart
 * (audit.jsonl) and never trained on. Without it a user could take the batch for a poor batch of the head.
 */
export class AuditBanner {
  readonly el = h('div', { class: 'audit-banner', role: 'note', 'data-testid': 'audit-banner', hidden: true });

  update(state: PanelState): void {
    const audit = state.kind === 'batch' && state.source?.kind === 'audit' ? state.head.audit : undefined;
    setAttr(this.el, 'hidden', !audit);
    if (!audit) return;
    this.el.replaceChildren(
      h('span', { class: 'audit-badge' }, 'AUDIT'),
      h(
        'span',
        { class: 'audit-banner-text' },
        'Random records of the collection, not chosen by the head. Your scores go to audit.jsonl and are never ' +
          `trained on: they measure the head. ${audit.scored} of ${audit.size} audit records labelled.`,
      ),
    );
  }
}

/**
 * The header's line of audit figures: prevalence, precision and recall at the head's threshold, and AP, each an
 * estimate from the audit sample with its 95% interval, and how much of the sample is labelled. Absent until a
 * sample is drawn.
 */
export class AuditFigures {
  readonly el = h('div', { class: 'audit-figures', 'data-testid': 'audit-figures', hidden: true });

  update(head: HeadView): void {
    const audit = head.audit;
    setAttr(this.el, 'hidden', !audit);
    if (!audit) return;
    this.el.title =
      `Estimated from the audit sample, a uniform random sample of the store (95% intervals; precision and recall at ${audit.thresholdFrom}). ` +
      'Labels the head picked itself would flatter it; these do not.';
    const parts: (string | HTMLElement)[] = [h('span', { class: 'audit-label' }, icon('check'), 'Audit')];
    if (audit.error) parts.push(h('span', { class: 'audit-error' }, audit.error));
    else if (audit.scored > 0)
      parts.push(
        figure(estimateText('prevalence', audit.prevalence), 'prevalence'),
        figure(`${estimateText('precision', audit.precision)} @ ${audit.thresholdFrom}`, 'precision'),
        figure(estimateText('recall', audit.recall), 'recall'),
        figure(estimateText('AP', audit.ap), 'ap'),
      );
    parts.push(
      figure(`${audit.scored} of ${audit.size} audit records labelled (${audit.positives} positive)`, 'labelled'),
    );
    this.el.replaceChildren(...parts);
  }
}

function figure(text: string, which: string): HTMLElement {
  const el = h('span', { class: 'audit-figure', 'data-testid': `audit-${which}` });
  setText(el, text);
  return el;
}
