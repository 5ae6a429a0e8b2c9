import { currentLabels } from './label-history';
import type { Label } from './labels-file';
import type { TuningSession, Verdict } from './session';
import { formatStopRule, type StopRuleProgress, StopWatch } from './stop-set';
import type { HeldOutFigures } from '../eval/held-out-set';

/** How many of the head's best-ranked records are compared round to round. */
export const TOP_N = 100;
/** Rounds without a new positive (and a stable top) before the head counts as settled. */
export const SETTLE_ROUNDS = 3;
/** At most this share of the top 100 may change for it to count as stable. */
export const STABLE_CHURN = 0.05;

export interface RoundProgress {
  round: number;
  /** Positives (score > 0) in this batch, of the images shown. */
  hits: number;
  shown: number;
  /** Over every current label. */
  positives: number;
  negatives: number;
  /** Share (0..1) of the head's top 100 that was not in it after the previous round; null for the first. */
  churn: number | null;
  /** No new positive in SETTLE_ROUNDS rounds and the top 100 stable: time to look at the boundary or stop. */
  settled: boolean;
  /** The head measured on its held-out set, on the rounds that evaluate it (held-out-set.ts). */
  heldOut?: HeldOutFigures;
}

/** A round's progress with the stop rule's state, when the head has an audit sample to be its stop set (stop-set.ts). */
export type RoundProgressWithStop = RoundProgress & Partial<StopRuleProgress>;

export const SETTLED_HINT = 'the head has settled: try boundary, or evaluate and stop.';

/**
 * The figures that say how tuning goes, round by round: hits per batch, positives and negatives so far, and how
 * much the head's top 100 (over the whole store, seen or not) changed since the last round.
 */
export class ProgressTracker {
  private previousTop: Set<string> | null = null;
  private readonly history: RoundProgressWithStop[] = [];
  private stop: StopWatch | null = null;

  /** Remembers the head's top 100 (and its decisions on the stop set) before the first round, so it has a churn too. */
  async start(session: TuningSession): Promise<void> {
    this.previousTop = await top(session);
    this.stop = await StopWatch.start(session);
  }

  async after(session: TuningSession, round: number, verdicts: Verdict[]): Promise<RoundProgressWithStop> {
    const now = await top(session);
    const churn = this.previousTop ? [...now].filter((id) => !this.previousTop!.has(id)).length / TOP_N : null;
    this.previousTop = now;
    const recent = [...this.history.slice(-(SETTLE_ROUNDS - 1))];
    const hits = verdicts.filter((v) => (v.score ?? 0) > 0).length;
    const quiet = [...recent.map((r) => r.hits), hits];
    const progress: RoundProgressWithStop = {
      round,
      hits,
      shown: verdicts.length,
      ...labelTally(session.allLabels),
      churn,
      settled: quiet.length >= SETTLE_ROUNDS && quiet.every((h) => h === 0) && churn !== null && churn <= STABLE_CHURN,
      ...this.stop?.after(session),
    };
    this.stop ??= await StopWatch.start(session); // a sample drawn since the first round: watched from this one on
    this.history.push(progress);
    return progress;
  }

  get rounds(): readonly RoundProgressWithStop[] {
    return this.history;
  }
}

/** Current labels scored above 0 and below 0. */
export function labelTally(labels: readonly Label[]): { positives: number; negatives: number } {
  const current = [...currentLabels(labels).values()];
  return { positives: current.filter((l) => l.score > 0).length, negatives: current.filter((l) => l.score < 0).length };
}

/** One line per round, as `vector-tune tune` prints it. */
export function formatProgress(p: RoundProgressWithStop): string {
  const churn = p.churn === null ? '' : `, top-${TOP_N} churn ${Math.round(p.churn * 100)}%`;
  const stop = formatStopRule(p);
  return `hits ${p.hits} of ${p.shown}, ${p.positives} positive / ${p.negatives} negative so far${churn}${stop ? `, ${stop}` : ''}${p.settled ? `; ${SETTLED_HINT}` : ''}`;
}

async function top(session: TuningSession): Promise<Set<string>> {
  const hits = await session.store.query(session.head.queryVector(), { k: TOP_N, ranking: { kind: 'top' } });
  return new Set(hits.map((h) => h.id));
}
