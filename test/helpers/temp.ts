import * as fsSync from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temporary folder per test; removed when the test ends. */
export async function tempDir(t: { after(fn: () => Promise<void> | void): void }, prefix = 'vt-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** `../shared/data`; tests reach it through sharedData() (the VS Code suite falls back to the committed sample). */
export const SHARED_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data');

/**
 * A path into the real photos and embeddings that developers and CI have beside the repository
 * (`../shared/data`, see its README). A clone without it fails the tests that read it with this message,
 * rather than skipping them: a skipped test looks like a passed one in a summary.
 */
export function sharedData(...parts: string[]): string {
  if (!fsSync.existsSync(SHARED_DATA)) {
    throw new Error(
      `${SHARED_DATA} is missing: this test reads the real photos and embeddings that Vector Tune's developers and CI keep beside the repository (../shared/data). The README's "Tests and data" lists the tests that need it.`,
    );
  }
  return path.join(SHARED_DATA, ...parts);
}
