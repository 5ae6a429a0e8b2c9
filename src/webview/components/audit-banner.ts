import type { AuditView, EstimateView, HeadView, PanelState } from '../../protocol/webview-protocol';
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
    if (audit.stop) parts.push(stopHint(audit.stop));
    this.el.replaceChildren(...parts);
  }
}

function figure(text: string, which: string): HTMLElement {
  const el = h('span', { class: 'audit-figure', 'data-testid': `audit-${which}` });
  setText(el, text);
  return el;
}

/**
 * The stop rule (Bloodgood and Vijay-Shanker): the head's decisions on the audit sample compared round to round by
 * Cohen's kappa. Once they have held for `window` rounds, more labels of the same kind are unlikely to change the
 * head; the estimates beside it say whether the head is good enough to stop.
 */
function stopHint(stop: NonNullable<AuditView['stop']>): HTMLElement {
  const el = h('span', { class: stop.fired ? 'audit-stop fired' : 'audit-stop', 'data-testid': 'audit-stop' });
  el.title =
    `Cohen's kappa between this round's and the previous round's decisions on the audit sample; the stop rule fires ` +
    `once it stays above ${stop.level} for ${stop.window} rounds (Bloodgood and Vijay-Shanker, 2009).`;
  setText(
    el,
    stop.fired
      ? `Stop rule: decisions stable for ${stop.window} rounds (kappa > ${stop.level}); if the estimates suffice, evaluate and stop.`
      : `stop rule: kappa ${stop.kappa.toFixed(3)}, ${Math.min(stop.streak, stop.window)} of ${stop.window} rounds above ${stop.level}`,
  );
  return el;
}
