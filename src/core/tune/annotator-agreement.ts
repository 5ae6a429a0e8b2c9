import type { Label } from './labels-file';

/**
 * Who agrees with whom: for a head labelled by several people (lines carrying `by`, kept side by side by
 * `labels.jsonl merge=union`), each annotator's own latest score per record, the records where they differ, and a
 * weighted kappa between each pair over the records both scored.
 *
 * The kappa is Cohen's weighted kappa with quadratic weights, taken on the continuous scores themselves rather than
 * on bins: kappa = 1 - Do / De, where Do is the mean squared difference between the two annotators' scores on the
 * same record and De the mean squared difference over every pairing of one's score with the other's (what two
 * annotators with these score distributions would disagree by if they scored independently). On scores restricted
 * to -1, 0, +1 this is exactly the quadratic-weighted kappa of the 3x3 table (the weights' scale cancels); on
 * continuous scores it needs no arbitrary bin edges, and a difference of 0.1 counts for little while -1 against +1
 * counts most. (It is Lin's concordance correlation with the expected term taken over pairs.)
 *
 * Settling: the lines a person writes to end a disagreement carry `settled: true`. Such a line is the record's
 * latest, so training takes it, and it is no annotator's own judgement, so it counts in neither the kappa nor the
 * annotators' scores. A record is settled while its latest line is a settling line.
 */

/** Below this many records scored by both, a kappa says nothing: shown as "n/a (k shared)". */
export const MIN_SHARED_FOR_KAPPA = 5;

export interface AnnotatorScore {
  by: string;
  score: number;
  round: number;
  time: string;
}

export interface Disagreement {
  id: string;
  path?: string;
  /** Each annotator's own latest score for the record, highest first. */
  scores: AnnotatorScore[];
  /** Highest minus lowest score: 0..2. */
  size: number;
  /** The settling line, while it is the record's latest: the score training uses. */
  settled?: { score: number; by?: string; time: string };
}

export interface PairAgreement {
  a: string;
  b: string;
  /** Records both scored (their own latest lines, neither a removal). */
  shared: number;
  /** Null when too few shared records, or when neither annotator's scores vary (kappa is undefined). */
  kappa: number | null;
}

export interface AnnotatorAgreement {
  /** Annotators with at least one current score of their own, sorted. */
  annotators: string[];
  pairs: PairAgreement[];
  /** Largest first; unsettled before settled at equal size. */
  disagreements: Disagreement[];
}

/**
 * Quadratic-weighted kappa of two annotators' scores on the same records (a[i] and b[i] score record i); null when
 * fewer than MIN_SHARED_FOR_KAPPA records or when the expected disagreement is 0 (every score the same).
 */
export function weightedKappa(a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== b.length) throw new Error('weightedKappa: the two score lists must pair up');
  const n = a.length;
  if (n < MIN_SHARED_FOR_KAPPA) return null;
  let observed = 0;
  for (let i = 0; i < n; i++) observed += (a[i] - b[i]) ** 2;
  // Mean over all n^2 pairings in O(n): sum (x - y)^2 = n·sum x^2 - 2·sum x·sum y + n·sum y^2.
  const sum = (v: readonly number[]) => v.reduce((s, x) => s + x, 0);
  const sumSq = (v: readonly number[]) => v.reduce((s, x) => s + x * x, 0);
  const expected = (n * sumSq(a) - 2 * sum(a) * sum(b) + n * sumSq(b)) / (n * n);
  if (expected <= 1e-12) return null;
  return 1 - observed / n / expected;
}

/** A kappa as the CLI and the view show it: two decimals, or why there is none. */
export function formatKappa(pair: PairAgreement): string {
  if (pair.kappa !== null) return pair.kappa.toFixed(2);
  return pair.shared < MIN_SHARED_FOR_KAPPA ? `n/a (${pair.shared} shared)` : 'n/a (no variation)';
}

export function annotatorAgreement(labels: readonly Label[]): AnnotatorAgreement {
  // Per record: each annotator's own latest line (a removal withdraws their score), and the record's latest line.
  const own = new Map<string, Map<string, Label>>();
  const latest = new Map<string, Label>();
  for (const l of labels) {
    latest.set(l.id, l);
    if (l.by === undefined || l.settled) continue;
    const byAnnotator = own.get(l.id) ?? new Map<string, Label>();
    byAnnotator.set(l.by, l);
    own.set(l.id, byAnnotator);
  }
  const scored = new Map<string, Map<string, number>>(); // annotator -> record -> score
  const disagreements: Disagreement[] = [];
  for (const [id, byAnnotator] of own) {
    const scores: AnnotatorScore[] = [];
    for (const [by, l] of byAnnotator) {
      if (l.removed) continue;
      scores.push({ by, score: l.score, round: l.round, time: l.time });
      if (!scored.has(by)) scored.set(by, new Map());
      scored.get(by)!.set(id, l.score);
    }
    if (scores.length < 2) continue;
    scores.sort((x, y) => y.score - x.score || (x.by < y.by ? -1 : 1));
    const size = scores[0].score - scores[scores.length - 1].score;
    if (size === 0) continue;
    const d: Disagreement = { id, scores, size };
    const last = latest.get(id)!;
    if (last.path !== undefined) d.path = last.path;
    if (last.settled && !last.removed) {
      d.settled = { score: last.score, time: last.time };
      if (last.by !== undefined) d.settled.by = last.by;
    }
    disagreements.push(d);
  }
  disagreements.sort((x, y) => Number(!!x.settled) - Number(!!y.settled) || y.size - x.size || (x.id < y.id ? -1 : 1));
  const annotators = [...scored.keys()].sort();
  const pairs: PairAgreement[] = [];
  for (let i = 0; i < annotators.length; i++)
    for (let j = i + 1; j < annotators.length; j++) {
      const first = scored.get(annotators[i])!;
      const second = scored.get(annotators[j])!;
      const both = [...first.keys()].filter((id) => second.has(id));
      const kappa = weightedKappa(
        both.map((id) => first.get(id)!),
        both.map((id) => second.get(id)!),
      );
      pairs.push({ a: annotators[i], b: annotators[j], shared: both.length, kappa });
    }
  return { annotators, pairs, disagreements };
}
