import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { fileExists } from '../fs/durable';
import { ProcessLock } from '../fs/process-lock';
import { ignoreInGit, lockPurpose, removeGeneration, removeLeftovers, storeFiles } from './embedded-files';
import { completeIdTable, writeAppend } from './embedded-append';
import { codesIntact } from './codes-check';
import { type CodesCheck, createStore, loadStore, type LoadedStore, requantise } from './embedded-load';
import { writeGeneration } from './embedded-rewrite';
import { ExactSearch, type SearchStats } from './exact-search';
import { type StoreManifest, writeManifest } from './manifest';
import { QuantisedRows } from './quantised-rows';
import type { RecordTable } from './record-table';
import type { RowInfo } from './row-info';
import { readCodes } from './search-cache';
import { SeenSets } from './seen-sets';
import { checkRecord } from './store-identity';
import type { Candidate, QueryOptions, RecordMeta, StoreIdentity, StoreInfo, VectorRecord, VectorStore } from './types';
import { VectorFile } from './vector-file';

/** `write` (the default) takes the store's writer lock for as long as the store is open; `read` takes none. */
export type StoreAccess = 'write' | 'read';

export interface OpenOptions {
  /**
   * Load what the search scans (the default). Without it the store can be written and read but not queried, and
   * holds a fraction of the memory: an import writes a million rows without holding their codes.
   */
  search?: boolean;
}

/**
 * The default, zero-setup store: a folder (normally `.vectortune/store`, git-ignored) holding
 * `manifest.json`, `vectors-<gen>.f32` (row-major float32) and `records-<gen>.jsonl` (one line per row), their
 * search cache `search-<gen>.*`, plus `seen/<head>.txt`. Memory holds int8 and 4-bit codes of the vectors for the
 * search's passes; exact float32 values are read from the file for its short list and for `fetch` (exact-search.ts).
 * Writes are append + fsync, then an atomic manifest replace, so a kill at any moment leaves the last committed state.
 * Reading a store is embedded-load.ts, its file names and cleanup embedded-files.ts, the saved search cache
 * search-cache.ts, the records record-table.ts, the per-head seen bitmaps seen-sets.ts, and writing a new generation
 * (replacements, deletions) embedded-rewrite.ts.
 */
export class EmbeddedStore implements VectorStore {
  private rowInfo: RowInfo;
  private codes: QuantisedRows | undefined;
  private file: VectorFile;
  private records: RecordTable;
  private readonly seen: SeenSets;
  private manifest: StoreManifest;
  private readonly search = new ExactSearch();
  readonly info: StoreInfo;
  /** How opening used the search cache: wholly, extended by rows it lacked, or rebuilt from the data files. */
  readonly openedFromCache: LoadedStore['cache'];
  /** Serialises writers inside this process; every mutation goes through `exclusive`. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The check of the codes read from the search cache (checkCodes): every search awaits it, and fails if it did. */
  private codesChecked: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    loaded: LoadedStore,
    private readonly lock: ProcessLock | undefined,
  ) {
    ({
      manifest: this.manifest,
      info: this.rowInfo,
      codes: this.codes,
      file: this.file,
      records: this.records,
    } = loaded);
    this.info = loaded.identity;
    this.openedFromCache = loaded.cache;
    // Through the field: appends and rewrites replace the row numbers.
    this.file.checksumOf = (row) => this.rowInfo.checksum(row);
    this.seen = new SeenSets(dir, (id) => this.records.rowOf(id), this.rowInfo.capacity);
  }

  /** How the last query went (rows given the second pass, re-scored exactly, full scan): for benchmarks. */
  get lastSearch(): Readonly<SearchStats> {
    return this.search.lastStats;
  }

  /** The same, summed over every query since opening. */
  get searchTotals(): Readonly<ExactSearch['totals']> {
    return this.search.totals;
  }

  static manifestPath(dir: string): string {
    return storeFiles.manifest(dir);
  }

  static async exists(dir: string): Promise<boolean> {
    return fileExists(storeFiles.manifest(dir));
  }

  static lockPath(dir: string): string {
    return storeFiles.lock(dir);
  }

  /**
   * Opens an existing store; when `expected` is given, a store of another model or dimension is refused. Opening
   * for writing fails clearly while another process has the store open for writing (see ProcessLock), and saves
   * the search cache when it had to compute some of it.
   */
  static async open(
    dir: string,
    expected?: StoreIdentity,
    access: StoreAccess = 'write',
    options: OpenOptions = {},
  ): Promise<EmbeddedStore> {
    if (!(await EmbeddedStore.exists(dir))) {
      throw new VectorTuneError('no Vector Tune store here.', dir, 'Index an image folder or import embeddings first.');
    }
    const lock = access === 'write' ? ProcessLock.acquire(EmbeddedStore.lockPath(dir), lockPurpose()) : undefined;
    try {
      const loaded = await loadStore(dir, expected, { search: options.search ?? true, write: lock !== undefined });
      const store = new EmbeddedStore(dir, loaded, lock);
      if (loaded.cacheWritten) await store.commit({});
      store.checkCodes(loaded.codesToCheck);
      // A writer killed mid-write leaves temporaries and uncommitted data files (as large as the store); the
      // writer lock makes this process the only writer, so they can go now.
      if (lock) await store.removeLeftovers();
      return store;
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  /** Opens the store in `dir`, or creates an empty one for this model if there is none. */
  static async openOrCreate(dir: string, identity: StoreIdentity, options: OpenOptions = {}): Promise<EmbeddedStore> {
    await fs.mkdir(dir, { recursive: true });
    if (!(await EmbeddedStore.exists(dir))) await ignoreInGit(dir);
    // Held while creating, so two processes cannot both create the store; `open` then holds it for the store.
    const creating = ProcessLock.acquire(EmbeddedStore.lockPath(dir), lockPurpose());
    try {
      if (!(await EmbeddedStore.exists(dir))) await createStore(dir, identity);
      return await EmbeddedStore.open(dir, identity, 'write', options);
    } finally {
      creating.release();
    }
  }

  async count(): Promise<number> {
    return this.records.count;
  }

  /** Committed metadata of every record, in row order (parsed on each call: for tests and small stores). */
  allRecords(): RecordMeta[] {
    return Array.from({ length: this.records.count }, (_, row) => this.records.meta(row));
  }

  has(id: string): boolean {
    return this.records.rowOf(id) !== undefined;
  }

  getMeta(id: string): RecordMeta | undefined {
    const row = this.records.rowOf(id);
    return row === undefined ? undefined : this.records.meta(row);
  }

  async upsert(records: VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    records.forEach((r) => checkRecord(r, this.info, this.dir));
    const unique = new Map(records.map((r) => [r.id, r]));
    const replaces = [...unique.keys()].some((id) => this.records.rowOf(id) !== undefined);
    await this.mutate(() =>
      replaces ? this.rewrite([...unique.values()], new Set()) : this.append([...unique.values()]),
    );
  }

  async delete(ids: string[]): Promise<void> {
    const gone = new Set(ids.filter((id) => this.records.rowOf(id) !== undefined));
    if (gone.size === 0) return;
    await this.mutate(() => this.rewrite([], gone));
  }

  async query(w: Float32Array, options: QueryOptions): Promise<Candidate[]> {
    if (w.length !== this.info.dimension) {
      throw new VectorTuneError(
        `query vector has ${w.length} dimensions; the store holds ${this.info.dimension}.`,
        this.dir,
      );
    }
    const codes = this.codes;
    if (!codes) throw new Error('internal: this store was opened without search');
    const excluded = options.unseenBy === undefined ? undefined : await this.seen.bitmap(options.unseenBy);
    // Under the writers' queue: a rewrite swaps the rows and the file, which a search must not see half-done.
    const hits = await this.exclusive(async () => {
      await this.codesChecked;
      return this.search.run({
        rows: codes,
        info: this.rowInfo,
        file: this.file,
        count: this.records.count,
        w,
        k: options.k,
        ranking: options.ranking,
        excluded,
      });
    });
    return hits.map(({ row, dot }) => {
      const { id, path } = this.records.meta(row);
      return { id, path, dot };
    });
  }

  async fetch(ids: string[]): Promise<VectorRecord[]> {
    const found = ids.map((id) => this.records.rowOf(id)).filter((row): row is number => row !== undefined);
    const d = this.info.dimension;
    const vectors = this.file.readRows(found);
    return found.map((row, i) => ({ ...this.records.meta(row), vector: vectors.slice(i * d, (i + 1) * d) }));
  }

  /** A copy of row `row`'s vector. */
  vectorAt(row: number): Float32Array {
    return this.file.readRows([row]);
  }

  async markSeen(head: string, ids: string[]): Promise<void> {
    await this.mutate(() => this.seen.mark(head, ids));
  }

  async unmarkSeen(head: string, ids: string[]): Promise<void> {
    await this.mutate(() => this.seen.unmark(head, ids));
  }

  /** Nothing to write: a head's seen set is a bitmap, where an unmarked row is unseen. */
  async prepareMarker(): Promise<void> {}

  /** The folder and when the store was created there: a store indexed again from scratch is another store. */
  get scope(): string {
    return `embedded:${path.resolve(this.dir)}@${this.manifest.createdAt}`;
  }

  async resetSeen(head: string): Promise<void> {
    await this.mutate(() => this.seen.reset(head));
  }

  async seenCount(head: string): Promise<number> {
    return this.seen.count(head, this.records.count);
  }

  async *ids(): AsyncIterable<string> {
    for (let row = 0; row < this.records.count; row++) yield this.records.id(row);
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    // Failing costs the next open some time (it hashes the ids the saved table lacks), never data.
    if (this.lock) await this.mutate(() => this.saveIdTable()).catch(() => undefined);
    this.file.close();
    await this.codes?.close();
    this.lock?.release();
  }

  async fetchMeta(ids: string[]): Promise<RecordMeta[]> {
    const out: RecordMeta[] = [];
    for (const id of ids) {
      const row = this.records.rowOf(id);
      if (row !== undefined) out.push(this.records.meta(row));
    }
    return out;
  }

  async *idsStartingWith(prefix: string): AsyncIterable<string> {
    for await (const id of this.ids()) if (id.startsWith(prefix)) yield id;
  }

  /** Leftovers of a writer killed mid-rewrite: data files of other generations and temporary files. */
  async removeLeftovers(): Promise<void> {
    await removeLeftovers(this.dir, this.manifest.generation);
  }

  /**
   * Checks the codes opening read unchecked from the search cache, as the first job in the store's queue, so every
   * later search (and write) waits for it: a damaged cache file is found before it could shape an answer. Codes that
   * differ are computed again from the vectors file, and a writer saves them as the new search cache.
   */
  private checkCodes(check: CodesCheck | undefined): void {
    const codes = this.codes;
    if (!check || !codes) return;
    this.codesChecked = this.exclusive(async () => {
      if (await codesIntact(codes, check)) return;
      const lines = this.records.lineStarts(0, this.records.count);
      const to = { file: this.file, manifest: this.manifest, info: this.rowInfo, codes, lines };
      const searchCache = requantise(this.dir, to, this.lock !== undefined);
      if (searchCache) await this.commit({ searchCache });
    });
    this.codesChecked.catch(() => undefined); // failing, it fails the searches that await it, not the process
  }

  private async saveIdTable(): Promise<void> {
    const searchCache = await completeIdTable(this.dir, this.manifest, this.records);
    if (searchCache) await this.commit({ searchCache });
  }

  /** A write: only with the writer lock, and serialised with every other operation of this instance. */
  private mutate<T>(work: () => Promise<T>): Promise<T> {
    if (!this.lock)
      return Promise.reject(new VectorTuneError('this store was opened read-only.', this.dir, 'Open it for writing.'));
    return this.exclusive(work);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** New ids only: written to this generation's files and search cache (embedded-append.ts), then committed. */
  private async append(added: VectorRecord[]): Promise<void> {
    const start = this.records.count;
    const n = added.length;
    const target = { dir: this.dir, dimension: this.info.dimension, manifest: this.manifest, records: this.records };
    const { codes, recordText, change } = await writeAppend(target, added);
    await this.commit(change);
    // Memory follows disk only after the commit, so a failed write leaves the in-memory view consistent too.
    this.ensureCapacity(start + n);
    this.rowInfo.set(start, codes.info, 0, n);
    this.codes?.setBlock(start, codes, 0, n);
    this.records.append(recordText, n);
    this.search.invalidate();
  }

  /** Replacements or deletions: a whole new generation (embedded-rewrite.ts), committed, then the old one dropped. */
  private async rewrite(upserts: VectorRecord[], deleted: Set<string>): Promise<void> {
    await this.removeLeftovers();
    const oldGen = this.manifest.generation;
    const gen = oldGen + 1;
    const current = { dir: this.dir, dimension: this.info.dimension, file: this.file, records: this.records };
    const next = await writeGeneration(current, gen, upserts, deleted);
    await this.commit(next.change);
    this.file.close();
    await removeGeneration(this.dir, oldGen);

    const file = new VectorFile(storeFiles.vectors(this.dir, gen), this.info.dimension);
    file.checksumOf = this.file.checksumOf;
    this.file = file;
    this.records = next.records;
    const capacity = Math.max(next.info.capacity, this.codes?.capacity ?? 0);
    this.rowInfo = next.info.capacity >= capacity ? next.info : next.info.grown(capacity, next.count);
    this.search.invalidate();
    // The new generation's codes, read back from the cache just written (into the same memory when it fits).
    if (this.codes && next.count > this.codes.capacity) {
      await this.codes.close();
      this.codes = new QuantisedRows(this.info.dimension, this.rowInfo.capacity, this.dir);
    }
    if (this.codes) await readCodes(this.dir, next.searchCache, this.codes);
    this.seen.forget(this.rowInfo.capacity);
  }

  private async commit(change: Partial<StoreManifest>): Promise<void> {
    const next = { ...this.manifest, ...change, updatedAt: new Date().toISOString() };
    await writeManifest(storeFiles.manifest(this.dir), next);
    this.manifest = next;
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.rowInfo.capacity) return;
    const capacity = Math.max(rows, Math.ceil(this.rowInfo.capacity * 1.5));
    const used = this.records.count;
    this.rowInfo = this.rowInfo.grown(capacity, used);
    this.codes = this.codes?.grown(capacity, used);
    this.seen.grow(capacity);
  }
}
