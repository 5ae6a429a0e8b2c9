import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isInside } from '../fs/inside';
import { isImageFile } from '../embed/image';

/** Folders never indexed: tool state, dependencies and version control, which hold no user images. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.vectortune', '.hg', '.svn']);

export interface WalkResult {
  files: string[];
  /** Links leaving the folder are not followed (a crafted link must not make us read elsewhere). */
  refusedLinks: string[];
}

/** Regular files under `folder`, sorted, following symlinks only when they resolve inside `folder`. */
export async function listFiles(folder: string): Promise<WalkResult> {
  const root = await fs.realpath(folder);
  const result: WalkResult = { files: [], refusedLinks: [] };
  await walk(folder, root, result);
  result.files.sort();
  return result;
}

async function walk(dir: string, root: string, out: WalkResult): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) await walk(full, root, out);
    } else if (entry.isFile()) {
      out.files.push(full);
    } else if (entry.isSymbolicLink()) {
      const target = await fs.realpath(full).catch(() => null);
      if (!target || !isInside(target, root)) {
        out.refusedLinks.push(full);
        continue;
      }
      const stat = await fs.stat(target);
      if (stat.isFile()) out.files.push(full);
      // Linked folders are not descended: even inside the root they can form cycles.
    }
  }
}

/** Store ids and paths are workspace-relative with forward slashes, so stores and labels move between machines. */
export function toPosixRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

export const REFUSED_LINK = 'symbolic link leading outside the folder (not followed)';

export interface ImageListing {
  images: string[];
  /** Files without an image extension. */
  ignored: number;
  refusedLinks: string[];
}

/** The image files under `folder` (by extension), sorted. */
export async function listImageFiles(folder: string): Promise<ImageListing> {
  const { files, refusedLinks } = await listFiles(folder);
  const images = files.filter(isImageFile);
  return { images, ignored: files.length - images.length, refusedLinks };
}
