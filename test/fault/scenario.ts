/**
 * The parent's side of one crash-fault scenario: how its fixture is built, what the checks after a kill expect, and
 * what a resumed run must end with. trial.ts drives these for every trial; crash-faults.test.ts counts the problems.
 */
import type { VictimJob, ScenarioName } from './job';
import type { VictimRun } from './run-victim';

/** What a check found wrong. The summary counts each kind. */
export type ProblemKind =
  /** An acknowledged label (or import, report, copy) missing after a kill. */
  | 'lost'
  /** A file that does not parse, a half-written record, a store that does not open, a duplicate. */
  | 'torn'
  /** The resumed run did not end where the uninterrupted run did. */
  | 'mismatch'
  /** A victim that failed, hung or could not resume. */
  | 'error';

export interface Problem {
  kind: ProblemKind;
  message: string;
  /** For a lost problem of the tuning scenario: how many acknowledged labels are missing. */
  labels?: number;
}

export interface SetupContext {
  /** The folder to build the fixture in (every trial starts from a copy of it). */
  fixture: string;
  /** A scratch folder for this scenario's references. */
  scratch: string;
  /** Runs the victim to the end in `dir` (throws when it fails) and returns the run. */
  runClean(job: VictimJob, count?: boolean): Promise<VictimRun>;
  /** Copies a folder (timestamps kept: indexing compares them). */
  copy(from: string, to: string): Promise<void>;
}

export interface Scenario {
  readonly name: ScenarioName;
  /** Builds the fixture and learns the reference; returns the reference run (steps counted). */
  setup(ctx: SetupContext): Promise<VictimRun>;
  job(dir: string, trial: number): VictimJob;
  /** What the checks of a run need to know about the state it started from (e.g. the report files). */
  startState(dir: string): Promise<unknown>;
  /** After a killed run, given every acknowledgement the trial's runs printed so far, and this run's own. */
  afterKill(dir: string, acks: string[], start: unknown, job: VictimJob, runAcks: string[]): Promise<Problem[]>;
  /** After the final, uninterrupted run. */
  afterResume(dir: string, start: unknown, job: VictimJob): Promise<Problem[]>;
}

export function problem(kind: ProblemKind, message: string, labels?: number): Problem {
  return labels === undefined ? { kind, message } : { kind, message, labels };
}

/** The same findings counted as another kind (e.g. a difference after an acknowledgement is a loss). */
export function reclassify(problems: Problem[], kind: ProblemKind): Problem[] {
  return problems.map((p) => ({ ...p, kind }));
}

/** `what` differs between the resumed and the reference state: names the first difference found. */
export function compareJson(what: string, actual: unknown, expected: unknown): Problem[] {
  const path = firstDifference(actual, expected, what);
  return path === null ? [] : [problem('mismatch', `${path} differs from the uninterrupted run`)];
}

function firstDifference(a: unknown, b: unknown, at: string): string | null {
  if (Object.is(a, b)) return null;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) !== Array.isArray(b)
  ) {
    return `${at} (${short(a)} vs ${short(b)})`;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

function short(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
