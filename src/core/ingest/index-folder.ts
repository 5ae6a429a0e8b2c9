import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import type { ImageEmbedder } from '../embed/encoder';
import type { DecodePool } from './decode-pool';
import { embedFiles, EmbedFilesOptions, startDecodePool } from './embed-files';
import { EmbeddedStore } from '../store/embedded-store';
import type { StoreIdentity } from '../store/types';
import type { RecordMeta, VectorRecord, VectorStore } from '../store/types';
import { sha256File } from '../util/hash';
import { isInside } from '../fs/inside';
import { listImageFiles, REFUSED_LINK, toPosixRelative } from './walk';

/** With embedFiles's options: batch size, the largest image, decode threads and the queue, the signal. */
export interface IndexOptions extends EmbedFilesOptions {
  /** The folder to index. */
  folder: string;
  /** The workspace root: ids and paths are relative to it. The folder must lie inside it. */
  root: string;
  /** The embedded store's folder; ignored when `openStore` is given. */
  storeDir?: string;
  /**
   * Opens (or creates) the store for vectors of this identity: another store than the embedded one, e.g.
   * a Pinecone index. The store is closed when indexing ends.
   */
  openStore?: (identity: StoreIdentity) => Promise<VectorStore>;
  embedder: ImageEmbedder;
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
 * The folder to index exists, is a folder and lies inside the workspace. The shells call it before loading the
 * model too, so a mistyped folder is reported at once instead of after loading (or downloading) hundreds of MB.
 */
export async function checkFolderToIndex(folder: string, root: string): Promise<void> {
  const resolved = path.resolve(folder);
  if (!isInside(resolved, path.resolve(root)))
    throw new VectorTuneError(`the folder to index is outside the workspace ${path.resolve(root)}.`, resolved);
  const stat = await fs.stat(resolved).catch(() => null);
  if (!stat) throw new VectorTuneError('no such folder to index.', resolved);
  if (!stat.isDirectory())
    throw new VectorTuneError('this is a file, not a folder: index the folder that holds it.', resolved);
  // Compare real paths: a folder that is itself a link (photos -> ~) must not pull outside files in.
  if (!isInside(await fs.realpath(resolved), await fs.realpath(root))) {
    throw new VectorTuneError('the folder to index is outside the workspace (after following links).', resolved);
  }
}

/**
 * Incremental, resumable indexing: unchanged files (same size and mtime, or same content hash) are skipped,
 * new ones embedded, deleted ones dropped. New images are committed to the store at least once a second as
 * they are embedded, so a run killed at any moment resumes from there.
 */
export async function indexFolder(options: IndexOptions): Promise<IndexReport> {
  const started = Date.now();
  const root = path.resolve(options.root);
  const folder = path.resolve(options.folder);
  await checkFolderToIndex(folder, root);

  const { embedder } = options;
  const identity = { modelId: embedder.modelId, dimension: embedder.dimension, precision: embedder.precision };
  const store = options.openStore
    ? await options.openStore(identity)
    : await EmbeddedStore.openOrCreate(requireStoreDir(options), identity);
  const report: IndexReport = {
    added: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    skipped: [],
    ignored: 0,
    seconds: 0,
    cancelled: false,
  };
  let decodePool: DecodePool | undefined;
  try {
    // Started first, so that the threads start while the folder is walked and hashed (see startDecodePool).
    decodePool = options.decodePool ?? startDecodePool(embedder, options);
    const { images, ignored, refusedLinks } = await listImageFiles(folder);
    for (const link of refusedLinks) report.skipped.push({ path: toPosixRelative(root, link), reason: REFUSED_LINK });
    report.ignored = ignored;

    const pending = await findChanges(images, root, store, report);
    report.removed = await dropDeleted(store, images, folder, root);
    await embedPending(pending, store, { ...options, decodePool }, report, started);
  } finally {
    if (!options.decodePool) await decodePool?.close();
    await store.close();
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

function requireStoreDir(options: IndexOptions): string {
  if (options.storeDir === undefined) throw new Error('indexFolder needs storeDir or openStore');
  return options.storeDir;
}

/** Ids whose metadata is asked of the store at once: one Pinecone fetch request of 100 ids, or a lookup. */
const META_CHUNK = 100;

async function findChanges(
  images: string[],
  root: string,
  store: VectorStore,
  report: IndexReport,
): Promise<Pending[]> {
  const pending: Pending[] = [];
  for (let i = 0; i < images.length; i += META_CHUNK) {
    const files = images.slice(i, i + META_CHUNK);
    const known = new Map((await store.fetchMeta(files.map((f) => toPosixRelative(root, f)))).map((m) => [m.id, m]));
    // The chunk's stats and hashes run side by side on libuv's pool: one by one, a folder of 10,000 small images
    // kept the model waiting seconds before its first batch.
    const changes = await Promise.all(
      files.map((file) => {
        const id = toPosixRelative(root, file);
        return compare(file, id, known.get(id));
      }),
    );
    for (const change of changes) {
      if (change) pending.push(change);
      else report.unchanged++;
    }
  }
  return pending;
}

/** The file's pending record, or null when the store already holds it (same size and mtime, or same hash). */
async function compare(file: string, id: string, known: RecordMeta | undefined): Promise<Pending | null> {
  const { size, mtimeMs } = await fs.stat(file);
  if (known && known.size === size && known.mtimeMs === mtimeMs) return null;
  const hash = await sha256File(file);
  if (known && known.hash === hash) return null;
  return { file, meta: { id, path: id, hash, size, mtimeMs }, replaces: known !== undefined };
}

/**
 * Records of files under this folder that are gone from disk. Other folders' records are left alone. They
 * are found by id prefix (an indexed image's id is its path), which Pinecone can list without reading every
 * record; only the ids not on disk any more are read, to check their path.
 */
async function dropDeleted(store: VectorStore, images: string[], folder: string, root: string): Promise<number> {
  const present = new Set(images.map((f) => toPosixRelative(root, f)));
  const prefix = toPosixRelative(root, folder);
  const under = (p: string) => prefix === '' || p === prefix || p.startsWith(prefix + '/');
  const absent: string[] = [];
  for await (const id of store.idsStartingWith(prefix === '' ? '' : prefix + '/'))
    if (!present.has(id)) absent.push(id);
  const gone: string[] = [];
  for (let i = 0; i < absent.length; i += META_CHUNK) {
    for (const r of await store.fetchMeta(absent.slice(i, i + META_CHUNK))) {
      if (r.path !== undefined && under(r.path) && !present.has(r.path)) gone.push(r.id);
    }
  }
  await store.delete(gone);
  return gone.length;
}

/**
 * How often embedded images are committed to the store. A commit appends to and fsyncs three files (3-11 ms
 * here, a request or more to Pinecone); it is written while the model embeds the next batches (see
 * embedPending). A run killed loses the embeddings of about this long plus the commit being written, which the
 * next run embeds again.
 */
const COMMIT_INTERVAL_MS = 1000;

async function embedPending(
  pending: Pending[],
  store: VectorStore,
  options: IndexOptions,
  report: IndexReport,
  started: number,
): Promise<void> {
  // New files are appended (cheap, resumable): the first batch at once, then at most once a second;
  // replacements rewrite the store, so they are gathered and written once at the end.
  const replacements: VectorRecord[] = [];
  let unsaved: VectorRecord[] = [];
  let lastCommit = -Infinity;
  // The commit being written, if any. The model's thread does not wait for it: the model blocks this thread while
  // it runs, and the commit's writes and fsyncs (or Pinecone requests) go on meanwhile, each step taking the turn
  // this thread gets between batches. So a commit is due once a second and is only started when the last one has
  // finished; a failure is thrown at the next batch, or at the end, and is never lost.
  let writing: { promise: Promise<void>; settled: boolean } | undefined;
  // A store that failed is not written to again (it may be the disk, or Pinecone refusing the key).
  let storeFailed = false;
  const startCommit = (): Promise<void> | undefined => {
    // The records are taken out first, so records a failed store refused are not offered to it again.
    const records = unsaved;
    unsaved = [];
    lastCommit = performance.now();
    if (records.length === 0 || storeFailed) return undefined;
    const entry = {
      settled: false,
      promise: store.upsert(records).then(
        () => {
          report.added += records.length;
        },
        (err: unknown) => {
          storeFailed = true;
          throw err;
        },
      ),
    };
    entry.promise.then(
      () => (entry.settled = true),
      () => (entry.settled = true),
    );
    writing = entry;
    return entry.promise;
  };
  /** Throws the last commit's failure once it has settled; true while it is still being written. */
  const stillWriting = async () => {
    if (!writing) return false;
    if (!writing.settled) return true;
    const settled = writing;
    writing = undefined;
    await settled.promise;
    return false;
  };
  const commitIfDue = async () => {
    // Not awaited: the commit is written while the model runs; stillWriting and flush wait for it.
    if (!(await stillWriting()) && performance.now() - lastCommit >= COMMIT_INTERVAL_MS) void startCommit();
  };
  const flush = async () => {
    const last = writing;
    writing = undefined;
    await last?.promise;
    await startCommit();
    writing = undefined;
  };
  let done = 0;
  try {
    for await (const batch of embedFiles(pending, (p) => p.file, options.embedder, options)) {
      for (const s of batch.skipped) report.skipped.push({ path: s.item.meta.path!, reason: s.reason });
      const record = (e: (typeof batch.embedded)[number]) => ({ ...e.item.meta, vector: e.vector });
      unsaved.push(...batch.embedded.filter((e) => !e.item.replaces).map(record));
      const changed = batch.embedded.filter((e) => e.item.replaces).map(record);
      replacements.push(...changed);
      report.updated += changed.length;
      await commitIfDue();
      done += batch.embedded.length + batch.skipped.length;
      const seconds = (Date.now() - started) / 1000;
      options.onProgress?.({
        done,
        total: pending.length,
        skipped: report.skipped.length,
        imagesPerSecond: seconds > 0 ? done / seconds : 0,
      });
    }
  } catch (err) {
    // Embedding failed: what was embedded before is kept, as when a run is cancelled. If the store failed,
    // nothing is left to commit. The first error is the one to report.
    await flush().catch(() => undefined);
    throw err;
  }
  await flush();
  report.cancelled = done < pending.length;
  await store.upsert(replacements);
}
