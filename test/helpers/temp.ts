import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temporary folder per test; removed when the test ends. */
export async function tempDir(t: { after(fn: () => Promise<void> | void): void }, prefix = 'vt-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Paths of the shared real data, relative to the repo root (../shared beside the repo). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SHARED_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data');
