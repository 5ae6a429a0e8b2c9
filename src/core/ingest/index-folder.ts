import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import type { ImageEmbedder } from '../embed/encoder';
import { embedFiles } from './embed-files';
import { EmbeddedStore } from '../store/embedded-store';
import type { RecordMeta, VectorRecord } from '../store/types';
import { sha256File } from '../util/hash';
import { isInside, listImageFiles, REFUSED_LINK, toPosixRelative } from './walk';

export interface IndexOptions {
  /** The folder to index. */
  folder: string;
  /** The workspace root: ids and paths are relative to it. The folder must lie inside it. */
  root: string;
  storeDir: string;
  embedder: ImageEmbedder;
  batchSize?: number;
  /** Images with more pixels than this are skipped unread (decompression bombs). */
  maxPixels?: number;
  signal?: AbortSignal;
  onProgress?: (progress: IndexProgress) => void;
}

export interface IndexProgress {
  done: number;
  total: number;
  skipped: number;
  imagesPerSecond: number;
}

export interface IndexReport {
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: { path: string; reason: string }[];
  /** Files without an image extension (not counted as failures). */
  ignored: number;
  seconds: number;
  cancelled: boolean;
}

interface Pending {
  file: string;
  meta: RecordMeta;
  replaces: boolean;
}

/**
 * Incremental, resumable indexing: unchanged files (same size and mtime, or same content hash) are skipped,
 * new ones embedded, deleted ones dropped. Each batch is committed to the store as it completes, so a run
 * killed at any moment resumes where it stopped.
 */
export async function indexFolder(options: IndexOptions): Promise<IndexReport> {
  const started = Date.now();
  const root = path.resolve(options.root);
  const folder = path.resolve(options.folder);
  const stat = await fs.stat(folder).catch(() => null);
  if (!stat?.isDirectory()) throw new VectorTuneError('no such folder to index.', folder);
  // Compare real paths: a folder that is itself a link (photos -> ~) must not pull outside files in.
  if (!isInside(await fs.realpath(folder), await fs.realpath(root))) {
    throw new VectorTuneError('the folder to index is outside the workspace (after following links).', folder);
  }

  const { embedder } = options;
  const store = await EmbeddedStore.openOrCreate(options.storeDir, { modelId: embedder.modelId, dimension: embedder.dimension });
  const report: IndexReport = { added: 0, updated: 0, unchanged: 0, removed: 0, skipped: [], ignored: 0, seconds: 0, cancelled: false };
  try {
    const { images, ignored, refusedLinks } = await listImageFiles(folder);
    for (const link of refusedLinks) report.skipped.push({ path: toPosixRelative(root, link), reason: REFUSED_LINK });
    report.ignored = ignored;

    const pending = await findChanges(images, root, store, report);
    report.removed = await dropDeleted(store, images, folder, root);
    await embedPending(pending, store, options, report, started);
  } finally {
    await store.close();
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

async function findChanges(images: string[], root: string, store: EmbeddedStore, report: IndexReport): Promise<Pending[]> {
  const pending: Pending[] = [];
  for (const file of images) {
    const id = toPosixRelative(root, file);
    const { size, mtimeMs } = await fs.stat(file);
    const known = store.getMeta(id);
    if (known && known.size === size && known.mtimeMs === mtimeMs) {
      report.unchanged++;
      continue;
    }
    const hash = await sha256File(file);
    if (known && known.hash === hash) {
      report.unchanged++;
      continue;
    }
    pending.push({ file, meta: { id, path: id, hash, size, mtimeMs }, replaces: known !== undefined });
  }
  return pending;
}

/** Records of files under this folder that are gone from disk. Other folders' records are left alone. */
async function dropDeleted(store: EmbeddedStore, images: string[], folder: string, root: string): Promise<number> {
  const present = new Set(images.map((f) => toPosixRelative(root, f)));
  const prefix = toPosixRelative(root, folder);
  const under = (p: string) => prefix === '' || p === prefix || p.startsWith(prefix + '/');
  const gone = store.allRecords().filter((r) => r.path !== undefined && under(r.path) && !present.has(r.path)).map((r) => r.id);
  await store.delete(gone);
  return gone.length;
}

async function embedPending(pending: Pending[], store: EmbeddedStore, options: IndexOptions, report: IndexReport, started: number): Promise<void> {
  // New files are appended batch by batch (cheap, resumable); replacements rewrite the store, so they are
  // gathered and written once at the end.
  const replacements: VectorRecord[] = [];
  let done = 0;
  for await (const batch of embedFiles(pending, (p) => p.file, options.embedder, options)) {
    for (const s of batch.skipped) report.skipped.push({ path: s.item.meta.path!, reason: s.reason });
    const fresh = batch.embedded.filter((e) => !e.item.replaces).map((e) => ({ ...e.item.meta, vector: e.vector }));
    const changed = batch.embedded.filter((e) => e.item.replaces).map((e) => ({ ...e.item.meta, vector: e.vector }));
    await store.upsert(fresh);
    replacements.push(...changed);
    report.added += fresh.length;
    report.updated += changed.length;
    done += batch.embedded.length + batch.skipped.length;
    const seconds = (Date.now() - started) / 1000;
    options.onProgress?.({ done, total: pending.length, skipped: report.skipped.length, imagesPerSecond: seconds > 0 ? done / seconds : 0 });
  }
  report.cancelled = done < pending.length;
  await store.upsert(replacements);
}
