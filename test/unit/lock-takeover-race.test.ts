/**
 * A dead holder's lock is taken over by exactly one of the processes that find it: many real processes race over
 * one stale lock, every time exactly one wins and the others are refused naming the winner. Repeated, since a race
 * that is lost only sometimes is still a race. Then the same for a head's lock (head-lock.ts), which uses this lock.
 */
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { REPO_ROOT, tempDir } from '../helpers/temp';

let taker: string;

/** The taker bundled once into plain JavaScript: a `node` start per process instead of a TypeScript compile. */
before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-take-lock-'));
  taker = path.join(dir, 'take-lock.js');
  await build({
    entryPoints: [path.join(REPO_ROOT, 'test/helpers/take-lock.ts')],
    outfile: taker,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
});
after(() => fs.rmSync(path.dirname(taker), { recursive: true, force: true }));
const TAKERS = 6;
const TRIALS = 10;

/** A pid that ran on this host and no longer does. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

function staleLock(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const holder = { pid: deadPid(), hostname: os.hostname(), since: '2026-01-01T00:00:00.000Z', purpose: 'killed.js' };
  fs.writeFileSync(file, JSON.stringify(holder));
}

interface Taker {
  child: ChildProcess;
  ready: Promise<void>;
  outcome: Promise<string>;
}

function startTaker(file: string): Taker {
  const child = spawn(process.execPath, [taker, file], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const lines = new Promise<string[]>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const got = out.split('\n').filter(Boolean);
      if (got.length >= 2) resolve(got);
    });
  });
  return {
    child,
    ready: new Promise((resolve, reject) => {
      child.stdout.on('data', () => out.startsWith('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`taker exited with ${code}: ${out}`)));
    }),
    outcome: lines.then((l) => l[1]),
  };
}

async function race(file: string): Promise<string[]> {
  staleLock(file);
  const takers = Array.from({ length: TAKERS }, () => startTaker(file));
  try {
    await Promise.all(takers.map((t) => t.ready));
    for (const t of takers) t.child.stdin!.write('go\n'); // within microseconds of each other

    return await Promise.all(takers.map((t) => t.outcome));
  } finally {
    for (const t of takers) t.child.stdin!.end();
    await Promise.all(
      takers.map(
        (t) => new Promise((resolve) => (t.child.exitCode !== null ? resolve(null) : t.child.once('exit', resolve))),
      ),
    );
  }
}

test(`${TAKERS} processes racing over one stale lock: exactly one takes it over, ${TRIALS} times`, async (t) => {
  const dir = await tempDir(t);
  for (let trial = 0; trial < TRIALS; trial++) {
    const file = path.join(dir, trial % 2 ? `store-${trial}/writer.lock` : `heads/h${trial}/.local/writer.lock`);
    const outcomes = await race(file);
    const winners = outcomes.filter((o) => o === 'won');
    assert.equal(winners.length, 1, `trial ${trial}: ${outcomes.join(' | ')}`);
    for (const o of outcomes.filter((x) => x !== 'won'))
      assert.match(
        o,
        /^refused \S+writer\.lock: this store is open for writing in another Vector Tune process \(take-lock\.ts, pid \d+, since /,
      );
    // Every claim is cleaned up; only the lock is left, held by the winner (now gone, so stale again).
    assert.deepEqual(
      fs.readdirSync(path.dirname(file)).filter((f) => f.includes('claim') || f.endsWith('.tmp')),
      [],
    );
  }
});
