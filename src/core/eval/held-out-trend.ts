import type { TuningSession } from '../tune/session';
import {
  type HeldOutFigures,
  HeldOutSet,
  heldOutStamp,
  isEvaluatedRound,
  type LoadHeldOutOptions,
} from './held-out-set';

/**
 * The held-out AP trend of one open head, as `tune` and the VS Code worker keep it: the set is loaded on first use
 * (a folder embedded once) and again only when held-out.json changes; every `every`-th round is measured with the
 * head's current weights, leaving out the records it has labels for.
 */
export class HeldOutTrend {
  private set: HeldOutSet | null = null;
  /** held-out.json's stamp when the set was loaded; undefined before the first load. */
  private stamp?: string;

  constructor(
    private readonly headDir: string,
    private readonly options: LoadHeldOutOptions,
  ) {}

  /** The head's held-out set (null when it has none), loaded if held-out.json is new or changed. */
  async current(session: TuningSession): Promise<HeldOutSet | null> {
    const stamp = await heldOutStamp(this.headDir);
    if (stamp !== this.stamp) {
      this.set = stamp ? await HeldOutSet.load(this.headDir, session.currentWeights, this.options) : null;
      this.stamp = stamp; // only once loaded: a set that failed to load is tried again next time
    }
    return this.set;
  }

  /** The figures of `round` when it is one to evaluate and the head has a held-out set; else undefined. */
  async afterRound(session: TuningSession, round: number, every: number): Promise<HeldOutFigures | undefined> {
    if (!isEvaluatedRound(round, every)) return undefined;
    const set = await this.current(session);
    return set?.measure(session.currentWeights, round, new Set(session.allLabels.map((l) => l.id)));
  }
}
