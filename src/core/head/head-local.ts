import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeError } from '../fs/write-errors';

/**
 * A head folder is committed; what one machine keeps about it is not: the lock of the process writing it and the
 * record of what it marked seen in a store. Both live in `<head>/.local/`, whose own `.gitignore` (`*`) keeps the
 * folder out of git without touching the repository's ignore rules.
 */
export const LOCAL_DIR_NAME = '.local';

export function headLocalDir(headDir: string): string {
  return path.join(headDir, LOCAL_DIR_NAME);
}

/** Creates `<head>/.local/` with its `.gitignore`, synchronously (the head lock is taken synchronously). */
export function ensureHeadLocalDir(headDir: string): string {
  const dir = headLocalDir(headDir);
  const ignore = path.join(dir, '.gitignore');
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(ignore))
      fs.writeFileSync(
        ignore,
        "# Vector Tune: this machine's state of the head (lock, seen checkpoints); not part of the head.\n*\n",
      );
  } catch (err) {
    throw writeError(err, ignore);
  }
  return dir;
}
