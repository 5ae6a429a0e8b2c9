/**
 * Small thumbnails of a report's listed images, written beside the report (`<report>-thumbs/`), so the report
 * shows its images wherever it is read: on a code host, in a pull request, where the images themselves are
 * git-ignored or too large to commit. Code hosts do not render `data:` image URIs in Markdown, so the images are
 * files linked by relative path.
 *
 * Each is a JPEG at most THUMBNAIL_EDGE pixels on its longer side, upright (EXIF orientation applied, as
 * decodeImage does), named by a hash of its bytes: an unchanged image keeps its file from one run to the next,
 * so the repository's history stores it once. Thumbnails no longer listed are removed once the new report is
written (report.ts). Their total size is
 * capped (maxBytes): past it, the remaining records get no thumbnail and the report says how many.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { decodeImage, getSharp } from '../embed/image';
import { writeFileAtomic } from '../fs/durable';
import { sha256 } from '../util/hash';
import type { ListedRecord } from './evaluation-result';

/** Twice the width the report shows them at, for high-density screens. */
export const THUMBNAIL_EDGE = 192;
export const DEFAULT_THUMBNAILS_MAX_BYTES = 512 * 1024;
const QUALITY = 70;

export interface WrittenThumbnails {
  /** Workspace-relative image path -> link from the reports folder to its thumbnail. */
  links: Map<string, string>;
  /** Listed images left without a thumbnail because the size limit was reached. */
  overLimit: number;
  bytes: number;
}

export function thumbnailsFolder(reportsDir: string, reportName: string): string {
  return path.join(reportsDir, `${reportName}-thumbs`);
}

/**
 * Writes the thumbnails of the records' images (in the order listed, so the most telling come first under the
 * limit). Images that are missing or cannot be decoded get none.
 */
export async function writeThumbnails(
  records: ListedRecord[],
  root: string,
  reportsDir: string,
  reportName: string,
  maxBytes: number,
): Promise<WrittenThumbnails> {
  const dir = thumbnailsFolder(reportsDir, reportName);
  const result: WrittenThumbnails = { links: new Map(), overLimit: 0, bytes: 0 };
  const paths = [...new Set(records.map((r) => r.path).filter((p): p is string => p !== undefined))];
  const kept = new Set<string>();
  for (const p of paths) {
    const jpeg = await thumbnail(path.resolve(root, p));
    if (!jpeg) continue;
    if (result.bytes + jpeg.length > maxBytes) {
      result.overLimit++;
      continue;
    }
    const name = `${sha256(jpeg).slice(0, 16)}.jpg`;
    if (!kept.has(name)) {
      kept.add(name);
      result.bytes += jpeg.length;
      await writeFileAtomic(path.join(dir, name), jpeg);
    }
    result.links.set(p, `${path.basename(dir)}/${name}`);
  }
  return result;
}

/** Removes the report's thumbnails folder's files other than `keep` (all of them, and the folder, when empty). */
export async function removeThumbnailsExcept(dir: string, keep: ReadonlySet<string> = new Set()): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) if (!keep.has(name)) await fs.rm(path.join(dir, name), { force: true });
  if (keep.size === 0) await fs.rm(dir, { recursive: true, force: true });
}

async function thumbnail(file: string): Promise<Uint8Array | null> {
  const decoded = await decodeImage(file, { targetShortSide: THUMBNAIL_EDGE });
  if (!decoded.ok) return null;
  const { data, width, height } = decoded.image;
  return getSharp()(data, { raw: { width, height, channels: 3 } })
    .resize(THUMBNAIL_EDGE, THUMBNAIL_EDGE, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: QUALITY, mozjpeg: true })
    .toBuffer();
}
