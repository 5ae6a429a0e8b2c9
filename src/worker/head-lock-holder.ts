import * as path from 'node:path';
import { type HeadLock, lockHead } from '../core/head/head-lock';

/**
 * The writer lock of the worker's open head (head-lock.ts): held while the head is open, so a second window or a
 * CLI command cannot write it meanwhile.
 */
export class HeadLockHolder {
  private held?: { dir: string; lock: HeadLock };

  /**
   * Runs `open` (which opens or starts the head in `dir`) holding that head's lock. The lock of the head open before
   * is released once the new one is open; if opening fails, that head stays open and locked.
   */
  async holding<T>(dir: string, open: () => Promise<T>): Promise<T> {
    const resolved = path.resolve(dir);
    if (this.held?.dir === resolved) return open();
    const lock = lockHead(resolved);
    try {
      const opened = await open();
      this.held?.lock.release();
      this.held = { dir: resolved, lock };
      return opened;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  release(): void {
    this.held?.lock.release();
    this.held = undefined;
  }
}
