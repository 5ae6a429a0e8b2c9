import * as fs from 'node:fs/promises';
import { describePlan, type TrialPlan } from './fault-plan';
import { knownIssueOf } from './known-issues';
import { runVictim, type VictimRun } from './run-victim';
import { problem, type Problem, type Scenario } from './scenario';

export interface TrialResult {
  scenario: string;
  trial: number;
  plan: string;
  problems: Problem[];
  /** Problems that are known issues (known-issues.ts): counted, not failed. */
  known: { id: string; message: string }[];
  /** Runs that were actually killed (a late timer or step may find the run already finished). */
  kills: number;
  /** The steps the hook killed at (`<n> <call>`), to reproduce a failure. */
  killedAt: string[];
}

export interface TrialOptions {
  bundle: string;
  fixture: string;
  dir: string;
  tmpDir: string;
  /** Per victim run. */
  timeoutMs: number;
  /** Leave the folder of a failed trial for a person to look at. */
  keepFailed: boolean;
}

/** Copies a folder with its files' timestamps (indexing compares them). */
export async function copyTree(from: string, to: string): Promise<void> {
  await fs.cp(from, to, { recursive: true, preserveTimestamps: true });
}

/**
 * One trial: a fresh copy of the fixture, the planned killed runs (each followed by the scenario's checks, with every
 * acknowledgement printed so far), then an uninterrupted run that must end where the reference run ended.
 */
export async function runTrial(
  scenario: Scenario,
  trial: number,
  plan: TrialPlan,
  options: TrialOptions,
): Promise<TrialResult> {
  await copyTree(options.fixture, options.dir);
  const job = scenario.job(options.dir, trial);
  const acks: string[] = [];
  const problems: Problem[] = [];
  let kills = 0;
  const killedAt: string[] = [];
  const run = (kill: TrialPlan[number]) =>
    runVictim(options.bundle, job, { kill, timeoutMs: options.timeoutMs, tmpDir: options.tmpDir });
  for (const kill of plan) {
    const start = await scenario.startState(options.dir);
    const killed = await run(kill);
    acks.push(...killed.acks);
    killedAt.push(...killed.notes.filter((n) => n.startsWith('fault-killed ')).map((n) => n.slice(13)));
    if (killed.killed) kills++;
    else if (killed.code !== 0)
      problems.push(problem('error', `a run to be killed (${describePlan([kill])}) failed: ${failure(killed)}`));
    problems.push(...(await scenario.afterKill(options.dir, acks, start, job, killed.acks)));
  }
  const start = await scenario.startState(options.dir);
  const resumed = await run({ kind: 'none' });
  if (resumed.code !== 0) problems.push(problem('error', `the resumed run failed: ${failure(resumed)}`));
  else problems.push(...(await scenario.afterResume(options.dir, start, job)));
  const known = problems.flatMap((p) => (knownIssueOf(p) ? [{ id: knownIssueOf(p)!.id, message: p.message }] : []));
  const unknown = problems.filter((p) => !knownIssueOf(p));
  if (unknown.length === 0 || !options.keepFailed) await fs.rm(options.dir, { recursive: true, force: true });
  return { scenario: scenario.name, trial, plan: describePlan(plan), problems: unknown, known, kills, killedAt };
}

function failure(run: VictimRun): string {
  const said = [...run.notes, run.stderr.trim()].filter(Boolean).join(' | ');
  return `exit ${run.code}${said ? `: ${said.slice(0, 600)}` : ''}`;
}
