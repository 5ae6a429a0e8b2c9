import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { fileExists } from '../fs/durable';
import { ProcessLock } from '../fs/process-lock';
import { crc32 } from '../util/hash';
import { allFinite } from '../vector';
import { lockPurpose, removeLeftovers, storeFiles } from './embedded-files';
import { createStore, loadStore, type LoadedStore } from './embedded-load';
import { writeGeneration } from './embedded-rewrite';
import { exactSearch, type SearchStats } from './exact-search';
import { type StoreManifest, writeManifest } from './manifest';
import type { QuantisedRows } from './quantised-rows';
import { appendAt, encodeRecords, pickMeta } from './records-file';
import { SeenSets } from './seen-sets';
import type { Candidate, QueryOptions, RecordMeta, StoreIdentity, StoreInfo, VectorRecord, VectorStore } from './types';
import { VectorFile } from './vector-file';

/** `write` (the default) takes the store's writer lock for as long as the store is open; `read` takes none. */
export type StoreAccess = 'write' | 'read';

/**
 * The default, zero-setup store: a folder (normally `.vectortune/store`, git-ignored) holding
 * `manifest.json`, `vectors-<gen>.f32` (row-major float32) and `records-<gen>.jsonl` (one line per row),
 * plus `seen/<head>.txt`. Memory holds int8 copies of the vectors (a quarter of float32) for the search's first
 * pass; exact float32 values are read from the file for its short list and for `fetch` (exact-search.ts). Writes
 * are append + fsync, then an atomic manifest replace, so a kill at any moment leaves the last committed state.
 * Reading a store is embedded-load.ts, its file names and cleanup embedded-files.ts, the per-head seen bitmaps
 * seen-sets.ts, and writing a new generation (replacements, deletions) embedded-rewrite.ts.
 */
export class EmbeddedStore implements VectorStore {
  private rows: QuantisedRows;
  private file: VectorFile;
  private readonly rowOf = new Map<string, number>();
  private readonly seen: SeenSets;
  private manifest: StoreManifest;
  private records: RecordMeta[];
  readonly info: StoreInfo;
  /** How the last query went (rows re-scored exactly, full scan or not): for benchmarks and diagnostics. */
  readonly lastSearch: SearchStats = { rescored: 0, fullScan: false };
  /** Serialises writers inside this process; every mutation goes through `exclusive`. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    loaded: LoadedStore,
    private readonly lock: ProcessLock | undefined,
  ) {
    ({ manifest: this.manifest, rows: this.rows, file: this.file, records: this.records, info: this.info } = loaded);
    this.records.forEach((r, row) => this.rowOf.set(r.id, row));
    this.seen = new SeenSets(dir, (id) => this.rowOf.get(id), this.rows.capacity);
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
   * for writing fails clearly while another process has the store open for writing (see ProcessLock).
   */
  static async open(dir: string, expected?: StoreIdentity, access: StoreAccess = 'write'): Promise<EmbeddedStore> {
    if (!(await EmbeddedStore.exists(dir))) {
      throw new VectorTuneError('no Vector Tune store here.', dir, 'Index an image folder or import embeddings first.');
    }
    const lock = access === 'write' ? ProcessLock.acquire(EmbeddedStore.lockPath(dir), lockPurpose()) : undefined;
    try {
      const store = new EmbeddedStore(dir, await loadStore(dir, expected), lock);
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
  static async openOrCreate(dir: string, identity: StoreIdentity): Promise<EmbeddedStore> {
    await fs.mkdir(dir, { recursive: true });
    // Held while creating, so two processes cannot both create the store; `open` then holds it for the store.
    const creating = ProcessLock.acquire(EmbeddedStore.lockPath(dir), lockPurpose());
    try {
      if (!(await EmbeddedStore.exists(dir))) await createStore(dir, identity);
      return await EmbeddedStore.open(dir, identity);
    } finally {
      creating.release();
    }
  }

  async count(): Promise<number> {
    return this.records.length;
  }

  /** Committed metadata of every record, in row order (read-only view). */
  allRecords(): readonly RecordMeta[] {
    return this.records;
  }

  getMeta(id: string): RecordMeta | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.records[row];
  }

  async upsert(records: VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    records.forEach((r) => this.validate(r));
    const unique = new Map(records.map((r) => [r.id, r]));
    const replaces = [...unique.keys()].some((id) => this.rowOf.has(id));
    await this.mutate(() =>
      replaces ? this.rewrite([...unique.values()], new Set()) : this.append([...unique.values()]),
    );
  }

  async delete(ids: string[]): Promise<void> {
    const gone = new Set(ids.filter((id) => this.rowOf.has(id)));
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
    const excluded = options.unseenBy === undefined ? undefined : await this.seen.bitmap(options.unseenBy);
    // Under the writers' queue: a rewrite swaps the rows and the file, which a search must not see half-done.
    const hits = await this.exclusive(() =>
      exactSearch(
        {
          rows: this.rows,
          file: this.file,
          count: this.records.length,
          w,
          k: options.k,
          ranking: options.ranking,
          excluded,
        },
        this.lastSearch,
      ),
    );
    return hits.map(({ row, dot }) => ({ id: this.records[row].id, path: this.records[row].path, dot }));
  }

  async fetch(ids: string[]): Promise<VectorRecord[]> {
    const found = ids.map((id) => this.rowOf.get(id)).filter((row): row is number => row !== undefined);
    const d = this.info.dimension;
    const vectors = this.file.readRows(found);
    return found.map((row, i) => ({ ...this.records[row], vector: vectors.slice(i * d, (i + 1) * d) }));
  }

  /** A copy of row `row`'s vector. */
  vectorAt(row: number): Float32Array {
    return this.file.readRows([row]);
  }

  async markSeen(head: string, ids: string[]): Promise<void> {
    await this.mutate(() => this.seen.mark(head, ids));
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
    return this.seen.count(head, this.records.length);
  }

  async *ids(): AsyncIterable<string> {
    for (const r of this.records) yield r.id;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.file.close();
    await this.rows.close();
    this.lock?.release();
  }

  private validate(r: VectorRecord): void {
    if (typeof r.id !== 'string' || r.id === '') throw new VectorTuneError('a record has an empty id.', this.dir);
    if (r.vector.length !== this.info.dimension) {
      throw new VectorTuneError(
        `record "${r.id}" has a ${r.vector.length}-d vector; this store holds ${this.info.dimension}-d vectors of ${this.info.modelId}.`,
        this.dir,
      );
    }
    if (!allFinite(r.vector))
      throw new VectorTuneError(`record "${r.id}" has a vector with NaN or infinite values.`, this.dir);
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

  /** New ids only: append to this generation's files, then commit with the manifest. */
  private async append(added: VectorRecord[]): Promise<void> {
    const d = this.info.dimension;
    const start = this.records.length;
    this.ensureCapacity(start + added.length);
    const block = new Float32Array(added.length * d);
    added.forEach((r, i) => block.set(r.vector, i * d));
    const recordText = Buffer.from(encodeRecords(added), 'utf8');
    const gen = this.manifest.generation;
    await appendAt(storeFiles.vectors(this.dir, gen), start * d * 4, new Uint8Array(block.buffer));
    await appendAt(storeFiles.records(this.dir, gen), this.manifest.recordsBytes, recordText);
    await this.commit({
      count: start + added.length,
      recordsBytes: this.manifest.recordsBytes + recordText.byteLength,
      vectorsCrc32: crc32(new Uint8Array(block.buffer), this.manifest.vectorsCrc32 ?? 0),
      recordsCrc32: crc32(recordText, this.manifest.recordsCrc32 ?? 0),
    });
    // Memory follows disk only after the commit, so a failed write leaves the in-memory view consistent too.
    added.forEach((r, i) => {
      this.rows.set(start + i, block, i * d);
      this.records.push(pickMeta(r));
      this.rowOf.set(r.id, start + i);
    });
  }

  /** Replacements or deletions: a whole new generation (embedded-rewrite.ts), committed, then the old one dropped. */
  private async rewrite(upserts: VectorRecord[], deleted: Set<string>): Promise<void> {
    await this.removeLeftovers();
    const oldGen = this.manifest.generation;
    const gen = oldGen + 1;
    const current = { dir: this.dir, dimension: this.info.dimension, rows: this.rows, file: this.file };
    const next = await writeGeneration(
      { ...current, records: this.records, has: (id) => this.rowOf.has(id) },
      gen,
      upserts,
      deleted,
    );
    try {
      await this.commit({
        generation: gen,
        count: next.count,
        recordsBytes: next.recordsBytes,
        vectorsCrc32: next.vectorsCrc32,
        recordsCrc32: next.recordsCrc32,
      });
    } catch (err) {
      await next.rows.close();
      throw err;
    }
    this.file.close();
    await this.rows.close();
    await fs.rm(storeFiles.vectors(this.dir, oldGen), { force: true });
    await fs.rm(storeFiles.records(this.dir, oldGen), { force: true });

    this.rows = next.rows;
    this.file = new VectorFile(storeFiles.vectors(this.dir, gen), this.info.dimension);
    this.records = next.records;
    this.rowOf.clear();
    next.records.forEach((r, row) => this.rowOf.set(r.id, row));
    this.seen.forget(this.rows.capacity);
  }

  private async commit(change: Partial<StoreManifest>): Promise<void> {
    const next = { ...this.manifest, ...change, updatedAt: new Date().toISOString() };
    await writeManifest(storeFiles.manifest(this.dir), next);
    this.manifest = next;
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.rows.capacity) return;
    this.rows = this.rows.grown(Math.max(rows, Math.ceil(this.rows.capacity * 1.5)), this.records.length);
    this.seen.grow(this.rows.capacity);
  }

  /** Leftovers of a writer killed mid-rewrite: data files of other generations and temporary files. */
  async removeLeftovers(): Promise<void> {
    await removeLeftovers(this.dir, this.manifest.generation);
  }

  async fetchMeta(ids: string[]): Promise<RecordMeta[]> {
    const out: RecordMeta[] = [];
    for (const id of ids) {
      const row = this.rowOf.get(id);
      if (row !== undefined) out.push({ ...this.records[row] });
    }
    return out;
  }

  async *idsStartingWith(prefix: string): AsyncIterable<string> {
    for (const r of this.records) if (r.id.startsWith(prefix)) yield r.id;
  }
}
