/**
 * Run as a separate process by the lock race test: says `ready`, waits for a line on stdin (the test sends it to
 * every taker at once), tries to take the lock, says `won` or `refused <message>`, then holds whatever it got until
 * its stdin closes.
 *
 * Each file-system call the lock makes is delayed by a random 0-4 ms first, as a busy machine's scheduler would
 * delay it: without that, the takers' steps rarely interleave finely enough to show a race, and a test that cannot
 * catch the race proves nothing about its fix.
 */
// A default import: the module object itself, whose functions the bundled lock code looks up at call time.
import fs from 'node:fs';
import { ProcessLock } from '../../src/core/fs/process-lock';

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
for (const name of ['openSync', 'readFileSync', 'rmSync', 'linkSync', 'renameSync'] as const) {
  const original = fs[name] as (...args: unknown[]) => unknown;
  (fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    pause(Math.random() * 4);
    return original.apply(fs, args);
  };
}

const [file] = process.argv.slice(2);
process.stdin.once('data', () => {
  try {
    ProcessLock.acquire(file, 'take-lock.ts');
    process.stdout.write('won\n');
  } catch (err) {
    process.stdout.write(`refused ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.stdin.on('end', () => process.exit(0));
});
process.stdout.write('ready\n');
