import { createHash } from 'node:crypto';
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

  /** `what` names the locked thing in the refusal: "this store" (default), `the head "hat"`. */
  static acquire(file: string, purpose: string, what = 'this store'): ProcessLock {
    const mine = held.get(file);
    if (mine) {
      mine.count++;
      return new ProcessLock(file);
    }
    for (let attempt = 0; attempt < 8; attempt++) {
      if (tryCreate(file, purpose)) return ProcessLock.taken(file);
      const found = readLock(file);
      if (found === null) continue; // released between our attempt and the read: try again
      const { holder } = found;
      if (holder && holder.hostname === os.hostname() && holder.pid === process.pid) {
        // Our own file from before (e.g. a store closed without release after an error): take it back.
        held.set(file, { count: 1 });
        return new ProcessLock(file);
      }
      const stale =
        (holder !== null && holder.hostname === os.hostname() && !processRuns(holder.pid)) ||
        (holder === null && unreadableForLong(file)); // written by a version that could tear it, killed mid-write
      if (stale) {
        if (takeOver(file, found, purpose)) return ProcessLock.taken(file);
        pause(5 + attempt * 5); // another process is taking it over: look again once it is done
        continue;
      }
      if (holder === null && attempt < 2) continue; // the holder was just releasing it: try again
      throw lockedError(file, holder, what);
    }
    const last = readLock(file);
    throw lockedError(file, last?.holder ?? null, what);
  }

  private static taken(file: string): ProcessLock {
    held.set(file, { count: 1 });
    installExitHook();
    removeSpentClaims(file);
    return new ProcessLock(file);
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
  return withHolderFile(file, purpose, (staging) => {
    try {
      fs.linkSync(staging, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  });
}

/** Writes this process's holder record to a staging file beside `file`, runs `use` on it, then removes it. */
function withHolderFile<T>(file: string, purpose: string, use: (staging: string) => T): T {
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
    return use(staging);
  } catch (err) {
    throw writeError(err, file);
  } finally {
    fs.rmSync(staging, { force: true });
  }
}

/**
 * Replaces a dead holder's lock with ours, so that of all the processes that found the same stale lock exactly one
 * gets it. Removing the stale file and creating a fresh one is not enough: a second process that read the stale
 * holder before the first removed it would then remove the first's fresh lock and create its own.
 *
 * The right to replace a stale lock goes to whoever creates its claim file (`<lock>.claim-<digest of what it
 * found>`), exclusively, as the lock itself is created. Under the claim the lock cannot change (its holder is dead,
 * and no other process can hold the same claim), so the claimer checks that it still holds what it found and
 * renames its own holder record over it: one atomic step. A claimer that dies before that leaves its claim; the
 * next process finds the claimer dead and claims the claim (a name derived from both), and so on. Every name is
 * fixed by what is found on disk, so processes that find the same state race for the same name, and one wins.
 */
function takeOver(file: string, found: FoundLock, purpose: string): boolean {
  const chain: string[] = [];
  let basis = `${found.ino}:${found.text}`;
  try {
    for (let depth = 0; ; depth++) {
      const claim = `${file}.claim-${createHash('sha256').update(basis).digest('hex').slice(0, 16)}`;
      if (tryCreate(claim, purpose)) {
        chain.push(claim);
        break;
      }
      const claimer = readLock(claim);
      if (claimer === null) return false; // the claimer finished: the lock is someone's now, look at it again
      const dead =
        (claimer.holder !== null && claimer.holder.hostname === os.hostname() && !processRuns(claimer.holder.pid)) ||
        (claimer.holder === null && unreadableForLong(claim));
      if (!dead || depth >= 16) return false; // a live claimer is replacing it
      chain.push(claim);
      basis = `${basis}|${claimer.ino}:${claimer.text}`;
    }
    const now = readLock(file);
    if (now === null || now.ino !== found.ino || now.text !== found.text) return false;
    withHolderFile(file, purpose, (staging) => fs.renameSync(staging, file));
    return true;
  } finally {
    // Claims are spent once the lock is replaced (or found replaced); a later claimer of the same stale lock finds
    // the lock changed and backs off.
    for (const claim of chain) fs.rmSync(claim, { force: true });
  }
}

/**
 * Claims left by a taker killed before it removed them. Safe under the lock: any claim is on a stale lock that is gone
 * now, so a claimer still at work finds the lock changed and backs off.
 */
function removeSpentClaims(file: string): void {
  const prefix = `${path.basename(file)}.claim-`;
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return;
  }
  for (const name of names)
    if (name.startsWith(prefix)) fs.rmSync(path.join(path.dirname(file), name), { force: true });
}

interface FoundLock {
  text: string;
  ino: number;
  holder: Holder | null;
}

/** The lock file's bytes, inode and holder (null when unreadable), or null when there is no lock file. */
function readLock(file: string): FoundLock | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const ino = fs.fstatSync(fd).ino;
    const text = fs.readFileSync(fd, 'utf8');
    return { text, ino, holder: parseHolder(text) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Sleeps this thread briefly (the lock is taken synchronously). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function parseHolder(text: string): Holder | null {
  try {
    const h = JSON.parse(text) as Holder;
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

function lockedError(file: string, holder: Holder | null, what: string): VectorTuneError {
  const who = holder
    ? `another Vector Tune process (${holder.purpose}, pid ${holder.pid}${holder.hostname !== os.hostname() ? ` on ${holder.hostname}` : ''}, since ${holder.since})`
    : 'another process (the lock file cannot be read)';
  return new VectorTuneError(
    `${what} is open for writing in ${who}.`,
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
