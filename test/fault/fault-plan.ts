import { seededRandom, shuffledIndices } from '../../src/core/util/random';
import type { Kill } from './run-victim';

/** The kills of one trial, in order; a clean run to the end always follows. */
export type TrialPlan = Kill[];

/**
 * Seeded kill plans for `trials` trials of a scenario whose uninterrupted run takes `steps` steps and `workMs` of
 * work. Most trials stop at one step, drawn without repetition until every step has been drawn (so 1..steps are all
 * hit when there are as many trials), then again; two in seven of those tear the write they stop at. One in seven is
 * killed twice (the second kill lands during the repair and resumption the first one calls for) and one in seven by a
 * timer from the parent, which can land between steps, inside a long computation or in the middle of a system call.
 */
export function planTrials(trials: number, steps: number, workMs: number, seed: number): TrialPlan[] {
  const random = seededRandom(seed);
  let pool: number[] = [];
  const nextStep = () => {
    if (pool.length === 0) pool = shuffledIndices(steps, random).map((i) => i + 1);
    return pool.pop()!;
  };
  return Array.from({ length: trials }, (_, i): TrialPlan => {
    if (i % 7 === 3) return [{ kind: 'timer', ms: Math.round(random() * workMs * 1.1) }];
    if (i % 7 === 5)
      return [
        { kind: 'step', at: nextStep() },
        { kind: 'step', at: 1 + Math.floor(random() * steps) },
      ];
    if (i % 7 === 1 || i % 7 === 6) return [{ kind: 'step', at: nextStep(), torn: Math.round(random() * 100) / 100 }];
    return [{ kind: 'step', at: nextStep() }];
  });
}

export function describePlan(plan: TrialPlan): string {
  const one = (k: Kill) =>
    k.kind === 'step'
      ? `step ${k.at}${k.torn !== undefined ? ` torn at ${k.torn}` : ''}`
      : k.kind === 'timer'
        ? `timer ${k.ms} ms`
        : 'none';
  return plan.map(one).join(', then ');
}
