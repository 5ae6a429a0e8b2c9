import type { AgreementView, LabelledView, PanelNotification } from '../../protocol/webview-protocol';
import { h } from '../dom';
import { formatScore, QUICK_SCORES } from '../state';

/**
 * The Labelled view's part for heads labelled by several people: the weighted kappa between each pair of
 * annotators (a collapsible table under the toolbar), and on each row where annotators differ, every one's own
 * score and a Settle control. Settling sends the chosen score; the extension appends it as a settled line.
 */

/** Open disagreements first, then the largest; ties by path, so the order is stable. */
export function sortByAnnotatorDisagreement(records: readonly LabelledView[]): LabelledView[] {
  return records
    .filter((r) => r.annotators)
    .sort(
      (a, b) =>
        Number(!!a.annotators!.settled) - Number(!!b.annotators!.settled) ||
        b.annotators!.size - a.annotators!.size ||
        (a.path < b.path ? -1 : 1),
    );
}

/** The kappa table in a <details> (keyboard: its summary is focusable and toggles with Enter or Space). */
export function kappaSection(agreement: AgreementView): HTMLElement {
  const { annotators, pairs, open, settled } = agreement;
  const summary = h(
    'summary',
    { 'data-testid': 'kappa-summary' },
    annotators.length < 2
      ? `Annotators: ${annotators.length === 0 ? 'none recorded' : annotators[0]}`
      : `Annotators: ${annotators.length} \u00b7 ${open} open disagreement(s), ${settled} settled \u00b7 weighted kappa`,
  );
  const table = h(
    'table',
    { class: 'kappa-table', 'data-testid': 'kappa-table' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Annotator'), h('th', {}, 'Annotator'), h('th', {}, 'Shared'), h('th', {}, 'Kappa')),
    ),
    h(
      'tbody',
      {},
      ...pairs.map((p) =>
        h(
          'tr',
          { 'data-testid': 'kappa-row' },
          h('td', {}, p.a),
          h('td', {}, p.b),
          h('td', {}, String(p.shared)),
          h('td', { class: 'kappa-value' }, p.kappa),
        ),
      ),
    ),
  );
  const note = h(
    'p',
    { class: 'kappa-note' },
    'Quadratic-weighted kappa on the scores: 1 agrees fully, 0 as by chance; n/a below 5 shared images.',
  );
  return h('details', { class: 'kappa', 'data-testid': 'kappa' }, summary, ...(pairs.length > 0 ? [table, note] : []));
}

/** "alice +1 · bob −1", and the settled score when there is one. */
export function annotatorScores(r: LabelledView): HTMLElement | null {
  const a = r.annotators;
  if (!a) return null;
  const scores = a.scores.map((s) => `${s.by} ${formatScore(s.score)}`).join(' \u00b7 ');
  const settled = a.settled
    ? ` \u2014 settled at ${formatScore(a.settled.score)}${a.settled.by ? ` by ${a.settled.by}` : ''}`
    : ` \u2014 differ by ${a.size.toFixed(2)}`;
  return h(
    'span',
    {
      class: 'annotator-scores',
      'data-testid': 'annotator-scores',
      title: a.scores.map((s) => `${s.by}: ${s.time}`).join('\n'),
    },
    scores + settled,
  );
}

/** A native select: "Settle at..." then each annotator's score and the quick scores; choosing one settles. */
export function settleSelect(r: LabelledView, send: (m: PanelNotification) => void): HTMLElement | null {
  if (!r.annotators) return null;
  const values = [...new Set([...r.annotators.scores.map((s) => s.score), ...QUICK_SCORES])].sort((a, b) => a - b);
  const el = h(
    'select',
    {
      class: 'labelled-select',
      'aria-label': `Settle the annotators' scores of ${r.name}`,
      'data-testid': 'labelled-settle',
    },
    h('option', { value: '', selected: true }, 'Settle at\u2026'),
    ...values.map((v) => h('option', { value: String(v) }, formatScore(v))),
  );
  el.addEventListener('change', () => {
    if (el.value !== '') send({ kind: 'notify', method: 'settleLabel', id: r.id, score: Number(el.value) });
  });
  return el;
}
