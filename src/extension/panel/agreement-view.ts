import { type AnnotatorAgreement, type Disagreement, formatKappa } from '../../core/tune/annotator-agreement';
import type { AgreementView, AnnotatorsView } from '../../protocol/webview-protocol';

/** The kappa table as the Labelled view shows it: formatted here, so the view and the CLI say the same. */
export function agreementView(agreement: AnnotatorAgreement): AgreementView {
  const settled = agreement.disagreements.filter((d) => d.settled).length;
  return {
    annotators: agreement.annotators,
    pairs: agreement.pairs.map((p) => ({ a: p.a, b: p.b, shared: p.shared, kappa: formatKappa(p) })),
    open: agreement.disagreements.length - settled,
    settled,
  };
}

/** Each disagreement by record id, as a row of the view shows it. */
export function annotatorsById(agreement: AnnotatorAgreement): Map<string, AnnotatorsView> {
  return new Map(agreement.disagreements.map((d) => [d.id, annotatorsView(d)]));
}

function annotatorsView(d: Disagreement): AnnotatorsView {
  const view: AnnotatorsView = {
    scores: d.scores.map(({ by, score, time }) => ({ by, score, time })),
    size: d.size,
  };
  if (d.settled) view.settled = d.settled.by === undefined ? { score: d.settled.score } : { ...d.settled };
  return view;
}
