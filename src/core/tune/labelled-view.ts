import { scoreToTarget, sigmoid } from '../head/linear-head';
import { dot } from '../vector';
import { currentLabels } from './label-history';
import type { TuningSession } from './session';

/** One labelled record as a review shows it: its label, and what the current head makes of it. */
export interface LabelledRecord {
  id: string;
  path?: string;
  score: number;
  round: number;
  time: string;
  by?: string;
  /** The head's logit and probability for the record; null when the store no longer holds it. */
  logit: number | null;
  probability: number | null;
  /**
   * How much the head contradicts the label: |target - probability|, 0..1 (target (score + 1) / 2). High first:
   * likely mistakes in the labels, or hard cases the head has not learned.
   */
  disagreement: number;
}

export type LabelledOrder = 'round' | 'disagreement';

/** The head's current labels with its view of each, sorted by round (newest first) or by disagreement. */
export async function labelledRecords(session: TuningSession, order: LabelledOrder): Promise<LabelledRecord[]> {
  const labels = [...currentLabels(session.allLabels).values()];
  const vectors = new Map((await session.store.fetch(labels.map((l) => l.id))).map((r) => [r.id, r.vector]));
  const { w, b } = session.head;
  const rows = labels.map((l): LabelledRecord => {
    const x = vectors.get(l.id);
    const logit = x ? dot(w, x) + b : null;
    const probability = logit === null ? null : sigmoid(logit);
    const row: LabelledRecord = {
      id: l.id,
      score: l.score,
      round: l.round,
      time: l.time,
      logit,
      probability,
      disagreement: probability === null ? 0 : Math.abs(scoreToTarget(l.score) - probability),
    };
    if (l.path !== undefined) row.path = l.path;
    if (l.by !== undefined) row.by = l.by;
    return row;
  });
  const byRound = (a: LabelledRecord, c: LabelledRecord) => c.round - a.round || (a.id < c.id ? -1 : 1);
  return rows.sort(order === 'round' ? byRound : (a, c) => c.disagreement - a.disagreement || byRound(a, c));
}
