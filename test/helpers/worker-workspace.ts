import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_TRAINING } from '../../src/core/head/linear-head';
import type { EngineConfig } from '../../src/protocol/worker-protocol';
import { REPO_ROOT } from './temp';

/** The 48 CC0 photos in the repo, in one folder per kind of garment. */
export const SAMPLE_IMAGES = path.join(REPO_ROOT, 'samples', 'clothing', 'images');
export const WORKER_BUNDLE = path.join(REPO_ROOT, 'dist', 'worker.js');

/**
 * A workspace for the worker: `photos/` holds a copy of the sample photos plus `photos/broken.jpg` (the first
 * half of a real JPEG), so indexing meets one bad file among good ones.
 */
export async function makePhotoWorkspace(root: string): Promise<{ photos: string; broken: string; images: string[] }> {
  const photos = path.join(root, 'photos');
  await fs.cp(SAMPLE_IMAGES, photos, { recursive: true });
  const images = await listJpegs(photos);
  const jpeg = await fs.readFile(images[0]);
  const broken = path.join(photos, 'broken.jpg');
  await fs.writeFile(broken, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  return { photos, broken, images };
}

export async function listJpegs(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.jpg'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** What the extension would send for this workspace: store and heads in their default places. */
export function engineConfigFor(workspaceRoot: string, modelDir: string): EngineConfig {
  return {
    workspaceRoot,
    storeDir: path.join(workspaceRoot, '.vectortune', 'store'),
    headsDir: path.join(workspaceRoot, 'vectortune', 'heads'),
    model: { ref: modelDir, cacheDir: path.join(os.tmpdir(), 'vt-no-model-cache'), allowDownload: false },
    training: DEFAULT_TRAINING,
  };
}

/** Workspace-relative POSIX path: the record id of an indexed image. */
export function recordId(workspaceRoot: string, file: string): string {
  return path.relative(workspaceRoot, file).split(path.sep).join('/');
}
