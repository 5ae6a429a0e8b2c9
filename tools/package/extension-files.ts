/**
 * The files of the extension itself that a .vsix holds, read from `.vscodeignore`'s whitelist (its `!` lines outside
 * node_modules), so the staging in main.ts and the check in test/package/vsix.test.ts cannot fall behind it: a list
 * of its own once left out dist/decode-thread.js, and the packaged extension could not index.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Repo-relative files and folders, e.g. `dist/worker.js`, `media` (for `!media/**`); package.json excluded (written per target). */
export function extensionFiles(repo: string): string[] {
  const ignore = fs.readFileSync(path.join(repo, '.vscodeignore'), 'utf8');
  return ignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!') && !line.startsWith('!node_modules/') && line !== '!package.json')
    .map((line) => line.slice(1).replace(/\/\*\*$/, ''));
}
