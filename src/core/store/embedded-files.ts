import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { removeTemporariesUnderLock } from '../fs/durable';

/** The search cache's files of a generation (search-cache.ts): codes, per-row numbers, line starts, the id table. */
export const SEARCH_FILE_KINDS = ['q8', 'q4', 'info', 'lines', 'ids'] as const;
export type SearchFileKind = (typeof SEARCH_FILE_KINDS)[number];

/**
 * The files of an embedded store's folder: `manifest.json` (the commit point), `vectors-<gen>.f32` and
 * `records-<gen>.jsonl` of the current generation with their search cache `search-<gen>.<kind>`, `seen/<head>.txt`,
 * and `writer.lock` while a writer has it open.
 */
export const storeFiles = {
  manifest: (dir: string) => path.join(dir, 'manifest.json'),
  lock: (dir: string) => path.join(dir, 'writer.lock'),
  vectors: (dir: string, generation: number) => path.join(dir, `vectors-${generation}.f32`),
  records: (dir: string, generation: number) => path.join(dir, `records-${generation}.jsonl`),
  search: (dir: string, generation: number, kind: SearchFileKind) => path.join(dir, `search-${generation}.${kind}`),
};

const DATA_FILE = /^(vectors-\d+\.f32|records-\d+\.jsonl|search-\d+\.(q8|q4|info|lines|ids))$/;

/**
 * Leftovers of a writer killed mid-write: temporaries, and data and search-cache files of generations other than the
 * committed one (a rewrite cut short leaves a whole new generation, as large as the store). Only under the writer lock.
 */
export async function removeLeftovers(dir: string, generation: number): Promise<void> {
  await removeTemporariesUnderLock(dir);
  await removeTemporariesUnderLock(path.join(dir, 'seen'));
  const keep = new Set([
    storeFiles.vectors(dir, generation),
    storeFiles.records(dir, generation),
    ...SEARCH_FILE_KINDS.map((kind) => storeFiles.search(dir, generation, kind)),
  ]);
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    if (DATA_FILE.test(name) && !keep.has(file)) await fs.rm(file, { force: true });
  }
}

/** Removes the files of a generation a rewrite replaced (once the manifest names the new one). */
export async function removeGeneration(dir: string, generation: number): Promise<void> {
  const files = [storeFiles.vectors(dir, generation), storeFiles.records(dir, generation)];
  files.push(...SEARCH_FILE_KINDS.map((kind) => storeFiles.search(dir, generation, kind)));
  for (const file of files) await fs.rm(file, { force: true });
}

/** Named in the lock file, so a refused user sees which program holds the store. */
export function lockPurpose(): string {
  return path.basename(process.argv[1] ?? process.execPath);
}

/**
 * A new store's folder ignores itself in git: it is rebuilt from the images (and can be large), so "commit all"
 * must not commit it, nor its `writer.lock`. Written before the lock file; one the user already put there is kept.
 */
export const STORE_GITIGNORE = '# Vector Tune store: rebuilt from the images, not committed.\n*\n';

export async function ignoreInGit(dir: string): Promise<void> {
  await fs
    .writeFile(path.join(dir, '.gitignore'), STORE_GITIGNORE, { flag: 'wx' })
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
}
