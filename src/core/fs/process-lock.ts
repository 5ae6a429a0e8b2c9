import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { processRuns } from './processes';
import { writeError } from './write-errors';

/**
 * A lock file that gives one process at a time the right to write a folder (the embedded store: two VS Code
 * windows or a window and a CLI run on the same store would otherwise append at the same offsets). It is held for
 * as long as the writer keeps the folder open, because a writer's in-memory view goes stale the moment another
 * process writes. Inside one process it is shared (counted), as one process serialises its own writes.
 *
 * A holder killed with SIGKILL leaves the file behind; the next process sees that the recorded pid no longer runs on
 * this host and takes the lock over. On another host (a network folder) liveness cannot be checked: the error says
 * how to remove the file by hand.
 */
interface Holder {
  pid: number;
  hostname: string;
  since: string;
  purpose: string;
}

const held = new Map<string, { count: number }>();
let exitHookInstalled = false;

export class ProcessLock {
  private released = false;

  private constructor(readonly file: string) {}

  static acquire(file: string, purpose: string): ProcessLock {
    const mine = held.get(file);
    if (mine) {
      mine.count++;
      return new ProcessLock(file);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryCreate(file, purpose)) {
        held.set(file, { count: 1 });
        installExitHook();
        return new ProcessLock(file);
      }
      const holder = readHolder(file);
      if (holder && holder.hostname === os.hostname() && holder.pid === process.pid) {
        // Our own file from before (e.g. a store closed without release after an error): take it back.
        held.set(file, { count: 1 });
        return new ProcessLock(file);
      }
      if (holder && holder.hostname === os.hostname() && !processRuns(holder.pid)) {
        fs.rmSync(file, { force: true }); // the holder died without releasing
        continue;
      }
      if (holder === null && unreadableForLong(file)) {
        fs.rmSync(file, { force: true }); // written by a version that could leave a torn lock, killed mid-write
        continue;
      }
      if (holder === null && attempt < 2) continue; // the holder was just releasing it: try again
      throw lockedError(file, holder);
    }
    throw lockedError(file, readHolder(file));
  }

  /** Releases this hold; the file goes when the last hold in this process is released. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const mine = held.get(this.file);
    if (!mine) return;
    if (--mine.count === 0) {
      held.delete(this.file);
      fs.rmSync(this.file, { force: true });
    }
  }
}

/**
 * Creates the lock file complete or not at all: the holder is written to a file of this process, fsynced, then
 * linked to the lock's name (link fails with EEXIST like an exclusive create). A kill at any point leaves no
 * empty or half-written lock, which no later process could attribute to a dead holder.
 */
function tryCreate(file: string, purpose: string): boolean {
  // Named like writeFileAtomic's temporaries, so a kill before the link leaves nothing the store's cleanup misses.
  const staging = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const holder: Holder = { pid: process.pid, hostname: os.hostname(), since: new Date().toISOString(), purpose };
    const fd = fs.openSync(staging, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(holder));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.linkSync(staging, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw writeError(err, file);
  } finally {
    fs.rmSync(staging, { force: true });
  }
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
    return typeof h.pid === 'number' && typeof h.hostname === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** An unreadable lock file more than 10 s old: no live writer takes that long to write a few bytes. */
function unreadableForLong(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 10_000;
  } catch {
    return false;
  }
}

function lockedError(file: string, holder: Holder | null): VectorTuneError {
  const who = holder
    ? `another Vector Tune process (${holder.purpose}, pid ${holder.pid}${holder.hostname !== os.hostname() ? ` on ${holder.hostname}` : ''}, since ${holder.since})`
    : 'another process (the lock file cannot be read)';
  return new VectorTuneError(
    `this store is open for writing in ${who}.`,
    file,
    'Close the other VS Code window or wait for the other command to finish, then try again. If no such process runs any more, delete this lock file.',
  );
}

/**
 * Exiting through Node's exit hooks releases what this process holds: a normal exit, `process.exit`, and the CLI's
 * Ctrl+C (it handles SIGINT and SIGTERM by exiting). A kill, a crash or an unhandled signal leaves the lock file;
 * the next opener takes it over once its holder no longer runs.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const file of held.keys()) fs.rmSync(file, { force: true });
  });
}
