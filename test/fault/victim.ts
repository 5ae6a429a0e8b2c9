/**
 * The process the crash-fault test kills (crash-faults.test.ts bundles this file once with esbuild and runs it with
 * plain node, so a trial starts in a fraction of a second). Usage: `node victim.js '<VictimJob JSON>'`, with
 * FAULT_KILL_AT / FAULT_COUNT as fault-hook.ts describes. Prints `ready`, `ack-...` lines, then `done`; on an
 * error, `error <message>` and exit code 1.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/core/fs/durable';
import { ProcessLock } from '../../src/core/fs/process-lock';
import { armFaults, installFaultHook, say, stepCount } from './fault-hook';
import type { VictimJob } from './job';
import { VICTIMS } from './victim-scenarios';

/**
 * Proves that the patches reach the engine as bundled: an atomic write (promise API and FileHandle) and the store's
 * lock (sync API) must each count steps. Without this, a bundling change could turn every kill point into a no-op
 * and the test would pass without interrupting anything.
 */
async function selfCheck(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-fault-check-'));
  try {
    const before = stepCount();
    await writeFileAtomic(path.join(dir, 'probe.json'), '{}');
    const atomic = stepCount() - before;
    ProcessLock.acquire(path.join(dir, 'probe.lock'), 'fault self-check').release();
    const lock = stepCount() - before - atomic;
    // mkdir, open, writeFile, sync, rename, folder sync; mkdirSync, openSync, writeSync, fsyncSync, rmSync.
    if (atomic < 5 || lock < 4)
      throw new Error(
        `the fault hook does not reach the engine (${atomic} steps for an atomic write, ${lock} for a lock)`,
      );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as VictimJob;
  await installFaultHook();
  await selfCheck();
  armFaults();
  await VICTIMS[job.scenario](job);
  say('done');
}

main().catch((err) => {
  say(`error ${String((err as Error)?.stack ?? err).replace(/\n/g, ' | ')}`);
  process.exit(1);
});
