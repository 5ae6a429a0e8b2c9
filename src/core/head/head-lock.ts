import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessLock } from '../fs/process-lock';
import { lockPurpose } from '../store/embedded-files';
import { ensureHeadLocalDir } from './head-local';
import { WEIGHTS_FILE_NAME } from './weights-file';

/**
 * One writer per head, whatever the store: two VS Code windows, or a window and a CLI command, appending to the same
 * `labels.jsonl` and replacing the same weights would interleave rounds. The embedded store's own lock already keeps
 * a second process off the store; a Pinecone index has no such lock (and is meant to be shared), so the head folder
 * carries one: `<head>/.local/writer.lock`, taken by the extension's worker while the head is open and by every CLI
 * command that writes the head, refused with the holder's program, pid and start time, taken over from a holder that
 * died (process-lock.ts).
 */
export function lockHead(headDir: string): HeadLock {
  const madeForTheLock = !fs.existsSync(headDir);
  const file = path.join(ensureHeadLocalDir(headDir), 'writer.lock');
  const lock = ProcessLock.acquire(file, lockPurpose(), `the head "${path.basename(headDir)}"`);
  return {
    release() {
      lock.release();
      // `rank nohead`, or a `start` that failed: no head was written, so no folder holding only `.local/` is left.
      if (madeForTheLock && !fs.existsSync(path.join(headDir, WEIGHTS_FILE_NAME)))
        fs.rmSync(headDir, { recursive: true, force: true });
    },
  };
}

/** A head's writer lock; releasing it also removes the head folder when only the lock made it. */
export interface HeadLock {
  release(): void;
}
