/**
 * Kill points for the crash-fault test, installed inside a victim process (see victim.ts) before it does any work.
 *
 * Every call that changes the disk (node:fs/promises, FileHandle and the sync API the store's lock and vectors file
 * use) and every HTTP request (the Pinecone SDK's fetch, once before it is sent and once after its answer came back)
 * is a numbered step. With FAULT_KILL_AT=N the process SIGKILLs itself just before step N, so the parent can stop a
 * run at any step it draws: between the label append and the weights write, between a data-file append and the
 * manifest rename, after Pinecone applied an upsert but before the client saw the answer. With FAULT_COUNT=1 the
 * total is printed at exit (`fault-steps <T>`), which is how the parent learns the range to draw from. With
 * FAULT_TORN=<fraction> as well, a kill that lands on a write call first writes that part of its bytes (torn-write.ts).
 * FAULT_TRACE=1 prints every step as it is taken (`fault-step <n> <call>`), to find what a step number is.
 *
 * The patches replace properties of the module objects. That reaches the engine because the victim is bundled by
 * esbuild into CommonJS, whose `import * as fs` reads each function through a getter at call time (victim.ts checks
 * this at start: `selfCheck`). Node's own internals (e.g. fs.promises.writeFile opening its file) do not go through
 * the exported functions, so one engine call is one step.
 */
import { HANDLE_TEARS, SYNC_TEARS, type Tear } from './torn-write';

// The module objects themselves: `import * as` would give the bundle's namespace view, whose getters cannot be assigned.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fsp = require('node:fs/promises') as typeof import('node:fs/promises');

/** Kept unpatched: the victim's acknowledgements and the count go to stdout without being steps themselves. */
const writeOut = fs.writeSync.bind(fs);

let steps = 0;
let killAt = Infinity;
let tornFraction: number | null = null;
let lastStep = '';
let trace = false;

export function stepCount(): number {
  return steps;
}

/** Writes one line to stdout synchronously, so a line is either out before a later kill or not at all. */
export function say(line: string): void {
  writeOut(1, line + '\n');
}

/** Counts a step; at the planned one, tears the call's write (when asked and it is one) and kills the process. */
function step(what: string, tear?: () => void): void {
  steps++;
  lastStep = what;
  if (trace) say(`fault-step ${steps} ${what}`);
  if (steps !== killAt) return;
  if (tear && tornFraction !== null) {
    tear();
    lastStep += ' (torn)';
  }
  die();
}

function die(): never {
  say(`fault-killed ${steps} ${lastStep}`);
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself lands before kill() returns; should it not, nothing else may run meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  throw new Error('SIGKILL did not stop the process');
}

/** Open flags that can create, truncate or write a file. */
function writes(flags: unknown): boolean {
  if (typeof flags === 'number')
    return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC)) !== 0;
  return typeof flags === 'string' && /[wa+]/.test(flags);
}

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

function wrap(
  target: Record<string, unknown>,
  name: string,
  label: string,
  counts: (args: unknown[]) => boolean = () => true,
  tear?: Tear,
): void {
  const original = target[name] as AnyFn;
  if (typeof original !== 'function') throw new Error(`fault hook: ${label} is not a function`);
  target[name] = function (this: unknown, ...args: unknown[]) {
    if (counts(args)) step(label, tear && (() => tear(this, args, tornFraction!)));
    return original.apply(this, args);
  };
}

/** Wraps fetch so a kill can land before a request leaves or after its answer arrived (the server applied it). */
function wrapFetch(): void {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    step('fetch (before sending)');
    const response = await original(input, init);
    step('fetch (answer received)');
    return response;
  };
}

/** Patches the write-side calls; they count from here, but nothing is killed before `armFaults`. */
export async function installFaultHook(): Promise<void> {
  // The FileHandle prototype is only reachable through an opened handle.
  const handle = await fsp.open(__filename, 'r');
  const fileHandle = Object.getPrototypeOf(handle) as Record<string, unknown>;
  await handle.close();

  const promises = fsp as unknown as Record<string, unknown>;
  wrap(promises, 'open', 'open', (args) => writes(args[1]));
  for (const name of [
    'writeFile',
    'appendFile',
    'rename',
    'rm',
    'unlink',
    'truncate',
    'mkdir',
    'copyFile',
    'cp',
    'rmdir',
    'symlink',
    'link',
  ]) {
    wrap(promises, name, name);
  }
  for (const name of ['write', 'writev', 'writeFile', 'appendFile', 'sync', 'datasync', 'truncate']) {
    wrap(fileHandle, name, `FileHandle.${name}`, undefined, HANDLE_TEARS[name]);
  }
  const sync = fs as unknown as Record<string, unknown>;
  wrap(sync, 'openSync', 'openSync', (args) => writes(args[1]));
  for (const name of [
    'writeSync',
    'fsyncSync',
    'fdatasyncSync',
    'renameSync',
    'rmSync',
    'unlinkSync',
    'ftruncateSync',
    'truncateSync',
    'writeFileSync',
    'appendFileSync',
    'mkdirSync',
  ]) {
    wrap(sync, name, name, undefined, SYNC_TEARS[name]);
  }
  wrapFetch();
}

/** Starts the count at zero and takes FAULT_KILL_AT, FAULT_TORN and FAULT_COUNT from the environment. */
export function armFaults(env: NodeJS.ProcessEnv = process.env): void {
  steps = 0;
  if (env.FAULT_KILL_AT) killAt = Number(env.FAULT_KILL_AT);
  if (!(killAt >= 1)) throw new Error(`FAULT_KILL_AT must be a positive step number, not "${env.FAULT_KILL_AT}"`);
  if (env.FAULT_TORN) tornFraction = Number(env.FAULT_TORN);
  if (tornFraction !== null && !(tornFraction >= 0 && tornFraction <= 1))
    throw new Error(`FAULT_TORN must be a fraction from 0 to 1, not "${env.FAULT_TORN}"`);
  if (env.FAULT_COUNT === '1') process.on('exit', () => say(`fault-steps ${steps}`));
  trace = env.FAULT_TRACE === '1';
}
