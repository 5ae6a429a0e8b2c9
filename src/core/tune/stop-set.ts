import { auditFileOf, readAudit } from '../audit/audit-file';
import type { TuningSession } from './session';
import { StabilisingPredictions, STOP_KAPPA, STOP_ROUNDS } from './stop-rule';

/** The stop rule's state after a round, as the progress line and the panel show it. */
export interface StopRuleProgress {
  /** Cohen's kappa between this round's decisions on the stop set and the previous round's. */
  stopKappa: number;
  /** Rounds in a row with kappa above STOP_KAPPA, up to this one. */
  stopStreak: number;
  /** The rule has fired (now or in an earlier round). */
  stopFired: boolean;
  /** Records in the stop set. */
  stopSetSize: number;
}

/**
 * Bloodgood and Vijay-Shanker's stop rule (stop-rule.ts) on a head being tuned. The stop set must be fixed and stand
 * for the collection: the head's audit sample is both (a seeded uniform sample, frozen in audit.jsonl), and drawing
 * another would cost a listing of the whole store (on Pinecone, requests in proportion to its size). The decisions
 * are the head's (logit > 0) on every record of the sample, scored or not: the rule compares heads, not answers.
 * Without an audit sample there is no stop set, and no rule.
 */
export class StopWatch {
  private readonly rule = new StabilisingPredictions();

  private constructor(private readonly vectors: Float32Array[]) {}

  /** The watch over the head's audit sample, with the head's decisions now as the first; null without a sample. */
  static async start(session: TuningSession): Promise<StopWatch | null> {
    const sample = await readAudit(auditFileOf(session.paths.dir));
    if (!sample || sample.items.length === 0) return null;
    const records = await session.store.fetch(sample.items.map((i) => i.id));
    if (records.length === 0) return null;
    const watch = new StopWatch(records.map((r) => r.vector));
    watch.rule.push(watch.decisions(session));
    return watch;
  }

  /** The head's decisions after a round, compared with the previous round's. */
  after(session: TuningSession): StopRuleProgress {
    const fired = this.rule.push(this.decisions(session));
    const kappas = this.rule.kappas;
    let streak = 0;
    while (streak < kappas.length && kappas[kappas.length - 1 - streak] > STOP_KAPPA) streak++;
    return {
      stopKappa: kappas[kappas.length - 1],
      stopStreak: streak,
      stopFired: fired,
      stopSetSize: this.vectors.length,
    };
  }

  private decisions(session: TuningSession): boolean[] {
    return this.vectors.map((x) => session.head.logit(x) > 0);
  }
}

/** "stop-set kappa 0.996 (2 of 3 rounds above 0.99)", or the rule's verdict once it fired. */
export function formatStopRule(p: Partial<StopRuleProgress>): string {
  if (p.stopKappa === undefined) return '';
  if (p.stopFired)
    return `stop rule fired: the head's decisions on the audit sample held (kappa > ${STOP_KAPPA}) for ${STOP_ROUNDS} rounds; check the audit estimates and consider stopping`;
  return `audit-sample kappa ${p.stopKappa.toFixed(3)} (${Math.min(p.stopStreak ?? 0, STOP_ROUNDS)} of ${STOP_ROUNDS} rounds above ${STOP_KAPPA})`;
}
