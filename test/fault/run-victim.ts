import { spawn } from 'node:child_process';
import type { VictimJob } from './job';

/**
 * How a run is stopped: at a step (fault-hook.ts; `torn`: a write call at that step first writes that fraction of its
 * bytes), after a delay from `ready` (SIGKILL from here), or not at all.
 */
export type Kill = { kind: 'step'; at: number; torn?: number } | { kind: 'timer'; ms: number } | { kind: 'none' };

export interface VictimRun {
  /** Killed by SIGKILL (at the step, or by the timer), as planned. */
  killed: boolean;
  /** Exit code when the victim ended by itself. */
  code: number | null;
  /** Every `ack-...` line received before the end, in order (without the `ack-` prefix). */
  acks: string[];
  /** `repair ...` notes, `fault-killed ...`, `error ...`: what the victim said besides its acks. */
  notes: string[];
  /** Steps counted (with `count`), or null. */
  steps: number | null;
  /** Milliseconds from `ready` to the end. */
  workMs: number;
  stderr: string;
}

export interface RunOptions {
  kill: Kill;
  /** Ask for the step count (an uninterrupted reference run). */
  count?: boolean;
  /** A run that takes longer is killed and reported as a hang. */
  timeoutMs: number;
  /** TMPDIR for the victim (its self-check writes there). */
  tmpDir: string;
}

/** Runs the bundled victim once and collects what it acknowledged before it ended or was killed. */
export function runVictim(bundle: string, job: VictimJob, options: RunOptions): Promise<VictimRun> {
  // Source maps make a victim's error name the TypeScript line. Extra CA certificates cost every Node start tens of
  // milliseconds and a victim speaks plain HTTP to 127.0.0.1 at most.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: options.tmpDir,
    NODE_OPTIONS: '--enable-source-maps',
    NODE_EXTRA_CA_CERTS: undefined,
  };
  if (options.kill.kind === 'step') env.FAULT_KILL_AT = String(options.kill.at);
  if (options.kill.kind === 'step' && options.kill.torn !== undefined) env.FAULT_TORN = String(options.kill.torn);
  if (options.count) env.FAULT_COUNT = '1';
  const child = spawn(process.execPath, [bundle, JSON.stringify(job)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: VictimRun = { killed: false, code: null, acks: [], notes: [], steps: null, workMs: 0, stderr: '' };
  let readyAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let pending = '';
  const onLine = (line: string) => {
    if (line === 'ready') {
      readyAt = Date.now();
      if (options.kill.kind === 'timer') timer = setTimeout(() => child.kill('SIGKILL'), options.kill.ms);
    } else if (line.startsWith('ack-')) run.acks.push(line.slice(4));
    else if (line.startsWith('fault-steps ')) run.steps = Number(line.slice(12));
    else if (line !== 'done') run.notes.push(line);
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    lines.forEach(onLine);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (run.stderr += chunk));
  const hang = setTimeout(() => {
    run.notes.push(`hang: still running after ${options.timeoutMs} ms; killed`);
    child.kill('SIGKILL');
  }, options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(hang);
      clearTimeout(timer);
      if (pending) onLine(pending);
      run.code = code;
      run.killed = signal === 'SIGKILL' && !run.notes.some((n) => n.startsWith('hang:'));
      run.workMs = readyAt ? Date.now() - readyAt : 0;
      resolve(run);
    });
  });
}
