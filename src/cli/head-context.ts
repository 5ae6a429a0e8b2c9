import * as path from 'node:path';
import { headPaths } from '../core/head/head-folder';
import { lockHead } from '../core/head/head-lock';
import { TuningSession } from '../core/tune/session';
import type { CliIo } from './command';
import { openCliStore, type StoreValues } from './store-context';

/**
 * Opens the store (embedded, or --pinecone-index) and a head in it, reporting any crash repair the session made.
 * The head's writer lock is taken first (head-lock.ts), so a head open in VS Code or another command is refused
 * before anything is read; `close` releases the store and the lock. `open` opens the head (rebuild: one that a merge
 * left conflicted).
 */
export async function openHead(
  values: StoreValues & { heads?: string },
  name: string,
  io: CliIo,
  open: typeof TuningSession.open = (dir, store) => TuningSession.open(dir, store),
) {
  const paths = headPaths(path.resolve(io.cwd, values.heads!), name);
  const lock = lockHead(paths.dir);
  try {
    const store = await openCliStore(values, io);
    try {
      const { session, repairs } = await open(paths.dir, store);
      for (const note of repairs) io.err(`repaired head "${name}": ${note}`);
      const close = async () => {
        try {
          await store.close();
        } finally {
          lock.release();
        }
      };
      return { store, session, close };
    } catch (err) {
      await store.close();
      throw err;
    }
  } catch (err) {
    lock.release();
    throw err;
  }
}
