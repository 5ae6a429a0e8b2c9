import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { processRuns } from './processes';
import { writing } from './write-errors';

/**
 * Durable file writes. A crash (or SIGKILL) at any instant must leave either the old or the new content,
 * never a torn file: we write a temporary file beside the target, fsync it, rename it over the target
 * (atomic on POSIX), then fsync the folder so the rename itself survives a power cut.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writing(file, async () => {
    const dir = path.dirname(file);
    await fs.mkdir(dir, { recursive: true });
    // The writer's pid in the name lets removeDeadWritersTemporaries tell a killed writer's leftover from a live write.
    const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
    try {
      const handle = await fs.open(tmp, 'w');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true }); // e.g. a disk that filled up mid-write: no half temporary left behind
      throw err;
    }
    await syncDirectory(dir);
  });
}

/**
 * Appends and fsyncs: when this returns, the bytes are on disk. When it throws (a full disk mid-append), the file
 * is cut back to its previous length, so a failed append leaves no partial line for the next reader.
 */
export async function appendDurable(file: string, data: string | Uint8Array): Promise<void> {
  await writing(file, async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const handle = await fs.open(file, 'a');
    try {
      const { size } = await handle.stat();
      try {
        await handle.writeFile(data);
        await handle.sync();
      } catch (err) {
        await handle.truncate(size).catch(() => undefined);
        throw err;
      }
    } finally {
      await handle.close();
    }
  });
}

export async function syncDirectory(dir: string): Promise<void> {
  // Directories cannot be opened for fsync on every platform (Windows); durability there rests on the rename.
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    /* best effort */
  } finally {
    await handle?.close();
  }
}

export async function fileExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes every temporary file writeFileAtomic left in `dir`. Only for a folder whose writer lock this process
 * holds: no other process can be writing there, so every temporary is a killed writer's leftover.
 */
export async function removeTemporariesUnderLock(dir: string): Promise<void> {
  await removeTemporaries(dir, () => true);
}

/**
 * Removes the temporaries that writeFileAtomic left behind when its process was killed mid-write, in a folder that
 * has no writer lock (a head's folder, its reports): another process may be writing there at this moment, so only the
 * temporaries of writers that no longer run on this host are removed. Without this, a kill leaves
 * `.classifier.weights.json.<pid>.<time>.tmp` in the head folder the user commits.
 */
export async function removeDeadWritersTemporaries(dir: string): Promise<void> {
  await removeTemporaries(dir, (writerPid) => writerPid !== undefined && !processRuns(writerPid));
}

/** Removes the `.<name>.tmp` files of `dir` that `remove` picks, given the writer's pid when the name holds one. */
async function removeTemporaries(dir: string, remove: (writerPid: number | undefined) => boolean): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith('.') || !name.endsWith('.tmp')) continue;
    const writer = /^\..+\.(\d+)\.\d+\.tmp$/.exec(name);
    if (remove(writer ? Number(writer[1]) : undefined)) await fs.rm(path.join(dir, name), { force: true });
  }
}
