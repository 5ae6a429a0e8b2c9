/**
 * When to stop labelling: Bloodgood and Vijay-Shanker's "stabilising predictions" (CoNLL 2009). Keep a fixed set of
 * unlabelled records (the stop set); after each round, compare the new head's decisions on it with the previous
 * head's by Cohen's kappa; once kappa has stayed above 0.99 for 3 rounds in a row, the head has stopped changing
 * its mind, and more labels of the same kind are unlikely to change it much.
 */
export const STOP_KAPPA = 0.99;
export const STOP_ROUNDS = 3;

/**
 * Cohen's kappa between two lists of yes/no decisions: agreement beyond what chance would give from each list's own
 * rate of yes. When chance agreement is total (both all-no, say) kappa is undefined; it is taken as 1 when the lists
 * agree everywhere (nothing changed) and 0 otherwise.
 */
export function cohenKappa(a: ArrayLike<boolean>, b: ArrayLike<boolean>): number {
  const n = a.length;
  if (n === 0 || n !== b.length) throw new Error(`cohenKappa needs two lists of the same non-zero length`);
  let agree = 0;
  let yesA = 0;
  let yesB = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) agree++;
    if (a[i]) yesA++;
    if (b[i]) yesB++;
  }
  const observed = agree / n;
  const chance = (yesA / n) * (yesB / n) + (1 - yesA / n) * (1 - yesB / n);
  if (chance >= 1) return observed === 1 ? 1 : 0;
  return (observed - chance) / (1 - chance);
}

/** Follows one head round by round; `fired` once kappa has exceeded the level for the number of rounds. */
export class StabilisingPredictions {
  private previous: boolean[] | null = null;
  private streak = 0;
  /** Kappa of each round against the one before (the first round has none). */
  readonly kappas: number[] = [];
  /** The round index (0 = the first pushed) at which the rule first fired, or null. */
  firedAt: number | null = null;
  private rounds = 0;

  constructor(
    readonly level = STOP_KAPPA,
    readonly window = STOP_ROUNDS,
  ) {}

  /** The head's decisions on the stop set after a round; returns whether the rule has fired (now or before). */
  push(decisions: boolean[]): boolean {
    if (this.previous) {
      const kappa = cohenKappa(this.previous, decisions);
      this.kappas.push(kappa);
      this.streak = kappa > this.level ? this.streak + 1 : 0;
      if (this.streak >= this.window && this.firedAt === null) this.firedAt = this.rounds;
    }
    this.previous = decisions;
    this.rounds++;
    return this.firedAt !== null;
  }
}
