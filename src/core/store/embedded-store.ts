import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { fileExists, removeStaleTemporaries, writeFileAtomic } from '../fs/durable';
import { ProcessLock } from '../fs/process-lock';
import { allFinite } from '../vector';
import { readManifest, STORE_FORMAT, STORE_VERSION, StoreManifest, writeManifest } from './manifest';
import { exactSearch, type SearchStats } from './exact-search';
import { QuantisedRows } from './quantised-rows';
import { appendAt, encodeRecords, pickMeta, readRecords } from './records-file';
import { appendSeen, clearSeen, readSeen, seenFile } from './seen-file';
import type { Candidate, QueryOptions, RecordMeta, StoreIdentity, StoreInfo, VectorRecord, VectorStore } from './types';
import { VectorFile, writeRows } from './vector-file';
import { crc32 } from '../util/hash';

/** `write` (the default) takes the store's writer lock for as long as the store is open; `read` takes none. */
export type StoreAccess = 'write' | 'read';

/**
 * The default, zero-setup store: a folder (normally `.vectortune/store`, git-ignored) holding
 * `manifest.json`, `vectors-<gen>.f32` (row-major float32) and `records-<gen>.jsonl` (one line per row),
 * plus `seen/<head>.txt`. Memory holds int8 copies of the vectors (a quarter of float32) for the search's first
 * pass; exact float32 values are read from the file for its short list and for `fetch` (exact-search.ts). Writes
 * are append + fsync, then an atomic manifest replace, so a kill at any moment leaves the last committed state.
 */
export class EmbeddedStore implements VectorStore {
  private rows: QuantisedRows;
  private file: VectorFile;
  private readonly rowOf = new Map<string, number>();
  private readonly seen = new Map<string, Uint8Array>();
  /** How the last query went (rows re-scored exactly, full scan or not): for benchmarks and diagnostics. */
  readonly lastSearch: SearchStats = { rescored: 0, fullScan: false };
  /** Serialises writers inside this process; every mutation goes through `exclusive`. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private manifest: StoreManifest,
    rows: QuantisedRows,
    file: VectorFile,
    private records: RecordMeta[],
    readonly info: StoreInfo,
    private readonly lock: ProcessLock | undefined,
  ) {
    this.rows = rows;
    this.file = file;
    records.forEach((r, row) => this.rowOf.set(r.id, row));
  }

  static manifestPath(dir: string): string {
    return path.join(dir, 'manifest.json');
  }

  static async exists(dir: string): Promise<boolean> {
    return fileExists(EmbeddedStore.manifestPath(dir));
  }

  static lockPath(dir: string): string {
    return path.join(dir, 'writer.lock');
  }

  /**
   * Opens an existing store; when `expected` is given, a store of another model or dimension is refused. Opening
   * for writing fails clearly while another process has the store open for writing (see ProcessLock).
   */
  static async open(dir: string, expected?: StoreIdentity, access: StoreAccess = 'write'): Promise<EmbeddedStore> {
    const manifestFile = EmbeddedStore.manifestPath(dir);
    if (!(await fileExists(manifestFile))) {
      throw new VectorTuneError('no Vector Tune store here.', dir, 'Index an image folder or import embeddings first.');
    }
    const lock = access === 'write' ? ProcessLock.acquire(EmbeddedStore.lockPath(dir), lockPurpose()) : undefined;
    try {
      const store = await EmbeddedStore.load(dir, expected, lock);
      // A writer killed mid-write leaves temporaries and uncommitted data files (as large as the store); the
      // writer lock makes this process the only writer, so they can go now.
      if (lock) await store.removeLeftovers();
      return store;
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  private static async load(
    dir: string,
    expected: StoreIdentity | undefined,
    lock: ProcessLock | undefined,
  ): Promise<EmbeddedStore> {
    const manifestFile = EmbeddedStore.manifestPath(dir);
    const manifest = await readManifest(manifestFile);
    if (expected) checkIdentity(manifest, expected, dir);
    const { dimension, count } = manifest;
    const { records, crc32: recordsCrc32 } = await readRecords(
      path.join(dir, recordsName(manifest.generation)),
      manifest.recordsBytes,
      count,
      manifest.recordsCrc32,
    );
    const file = new VectorFile(path.join(dir, vectorsName(manifest.generation)), dimension);
    const rows = new QuantisedRows(dimension, Math.max(count, 1024), dir);
    let vectorsCrc32 = 0;
    try {
      for (const { start, vectors } of file.chunks(count)) {
        vectorsCrc32 = crc32(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), vectorsCrc32);
        for (let i = 0; i * dimension < vectors.length; i++) rows.set(start + i, vectors, i * dimension);
      }
      if (manifest.vectorsCrc32 !== undefined && vectorsCrc32 !== manifest.vectorsCrc32) {
        throw new VectorTuneError(
          'the vectors file does not match its checksum: its bytes changed after they were written.',
          file.file,
          'The store is damaged; it is rebuildable: delete its folder and index again.',
        );
      }
    } catch (err) {
      file.close();
      await rows.close();
      throw err;
    }
    const mean = manifest.centringMean ? Float32Array.from(manifest.centringMean) : null;
    // Checksums of what was read, so the next commit records them even for a store written before they existed.
    const checked = { ...manifest, vectorsCrc32, recordsCrc32 };
    return new EmbeddedStore(
      dir,
      checked,
      rows,
      file,
      records,
      { modelId: manifest.modelId, dimension, centringMean: mean },
      lock,
    );
  }

  /** Opens the store in `dir`, or creates an empty one for this model if there is none. */
  static async openOrCreate(dir: string, identity: StoreIdentity): Promise<EmbeddedStore> {
    await fs.mkdir(dir, { recursive: true });
    // Held while creating, so two processes cannot both create the store; `open` then holds it for the store.
    const creating = ProcessLock.acquire(EmbeddedStore.lockPath(dir), lockPurpose());
    try {
      if (!(await EmbeddedStore.exists(dir))) await EmbeddedStore.create(dir, identity);
      return await EmbeddedStore.open(dir, identity);
    } finally {
      creating.release();
    }
  }

  private static async create(dir: string, identity: StoreIdentity): Promise<void> {
    const now = new Date().toISOString();
    const manifest: StoreManifest = {
      format: STORE_FORMAT,
      version: STORE_VERSION,
      modelId: identity.modelId,
      dimension: identity.dimension,
      count: 0,
      recordsBytes: 0,
      generation: 0,
      centringMean: identity.centringMean ? Array.from(identity.centringMean) : null,
      createdAt: now,
      updatedAt: now,
    };
    await fs.mkdir(dir, { recursive: true });
    await writeFileAtomic(path.join(dir, vectorsName(0)), new Uint8Array(0));
    await writeFileAtomic(path.join(dir, recordsName(0)), '');
    await writeManifest(EmbeddedStore.manifestPath(dir), manifest);
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
    const excluded = options.unseenBy === undefined ? undefined : await this.seenBitmap(options.unseenBy);
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
    await this.mutate(async () => {
      const bitmap = await this.seenBitmap(head);
      const fresh = ids.filter((id) => {
        const row = this.rowOf.get(id);
        return row !== undefined && !bitmap[row];
      });
      await appendSeen(seenFile(this.dir, head), fresh);
      for (const id of fresh) bitmap[this.rowOf.get(id)!] = 1;
    });
  }

  async resetSeen(head: string): Promise<void> {
    await this.mutate(async () => {
      await clearSeen(seenFile(this.dir, head));
      this.seen.set(head, new Uint8Array(this.capacityRows()));
    });
  }

  async seenCount(head: string): Promise<number> {
    const bitmap = await this.seenBitmap(head);
    let n = 0;
    for (let row = 0; row < this.records.length; row++) n += bitmap[row];
    return n;
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

  private capacityRows(): number {
    return this.rows.capacity;
  }

  private async seenBitmap(head: string): Promise<Uint8Array> {
    let bitmap = this.seen.get(head);
    if (!bitmap) {
      bitmap = new Uint8Array(this.capacityRows());
      for (const id of await readSeen(seenFile(this.dir, head))) {
        const row = this.rowOf.get(id);
        if (row !== undefined) bitmap[row] = 1;
      }
      this.seen.set(head, bitmap);
    }
    return bitmap;
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
    await appendAt(path.join(this.dir, vectorsName(gen)), start * d * 4, new Uint8Array(block.buffer));
    await appendAt(path.join(this.dir, recordsName(gen)), this.manifest.recordsBytes, recordText);
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

  /**
   * Replacements or deletions: write a whole new generation, switch the manifest to it, drop the old files. Kept
   * rows are copied from the old file a chunk at a time (never all of it in memory) and keep their int8 rows.
   */
  private async rewrite(upserts: VectorRecord[], deleted: Set<string>): Promise<void> {
    const d = this.info.dimension;
    const replacing = new Map(upserts.map((r) => [r.id, r]));
    const keptRows = this.records.map((r, row) => row).filter((row) => !deleted.has(this.records[row].id));
    const added = upserts.filter((r) => !this.rowOf.has(r.id));
    const count = keptRows.length + added.length;
    const rows = new QuantisedRows(d, Math.max(count, 1024), this.dir);
    const records: RecordMeta[] = [];
    await this.removeLeftovers();
    const oldGen = this.manifest.generation;
    const gen = oldGen + 1;
    const vectorsFile = path.join(this.dir, vectorsName(gen));
    try {
      const vectorsCrc32 = writeRows(vectorsFile, count, d, (emit) => {
        for (let i = 0; i < keptRows.length; i += COPY_ROWS) {
          const slice = keptRows.slice(i, i + COPY_ROWS);
          const block = this.file.readRows(slice);
          slice.forEach((row, j) => {
            const replacement = replacing.get(this.records[row].id);
            if (replacement) {
              block.set(replacement.vector, j * d);
              rows.set(i + j, block, j * d);
            } else {
              rows.copyRow(this.rows, row, i + j);
            }
            records.push(replacement ? pickMeta(replacement) : this.records[row]);
          });
          emit(block);
        }
        const block = new Float32Array(added.length * d);
        added.forEach((r, i) => {
          block.set(r.vector, i * d);
          rows.set(keptRows.length + i, block, i * d);
          records.push(pickMeta(r));
        });
        emit(block);
      });
      const recordText = Buffer.from(encodeRecords(records), 'utf8');
      await writeFileAtomic(path.join(this.dir, recordsName(gen)), recordText);
      await this.commit({
        generation: gen,
        count,
        recordsBytes: recordText.byteLength,
        vectorsCrc32,
        recordsCrc32: crc32(recordText),
      });
    } catch (err) {
      await rows.close();
      throw err;
    }
    this.file.close();
    await this.rows.close();
    await fs.rm(path.join(this.dir, vectorsName(oldGen)), { force: true });
    await fs.rm(path.join(this.dir, recordsName(oldGen)), { force: true });

    this.rows = rows;
    this.file = new VectorFile(vectorsFile, d);
    this.records = records;
    this.rowOf.clear();
    records.forEach((r, row) => this.rowOf.set(r.id, row));
    this.seen.clear(); // rows moved: bitmaps are rebuilt from the seen files on next use
  }

  private async commit(change: Partial<StoreManifest>): Promise<void> {
    const next = { ...this.manifest, ...change, updatedAt: new Date().toISOString() };
    await writeManifest(EmbeddedStore.manifestPath(this.dir), next);
    this.manifest = next;
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.rows.capacity) return;
    const grown = this.rows.grown(Math.max(rows, Math.ceil(this.capacityRows() * 1.5)), this.records.length);
    this.rows = grown;
    for (const [head, bitmap] of this.seen) {
      const bigger = new Uint8Array(grown.capacity);
      bigger.set(bitmap);
      this.seen.set(head, bigger);
    }
  }

  /** Leftovers of a writer killed mid-rewrite: data files of other generations and temporary files. */
  async removeLeftovers(): Promise<void> {
    await removeStaleTemporaries(this.dir);
    await removeStaleTemporaries(path.join(this.dir, 'seen'));
    const keep = new Set([vectorsName(this.manifest.generation), recordsName(this.manifest.generation)]);
    for (const name of await fs.readdir(this.dir)) {
      if (/^(vectors-\d+\.f32|records-\d+\.jsonl)$/.test(name) && !keep.has(name)) {
        await fs.rm(path.join(this.dir, name), { force: true });
      }
    }
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

/** Rows per read-and-write step of a rewrite (16 MiB of 512-d float32). */
const COPY_ROWS = 8192;

/** Named in the lock file, so a refused user sees which program holds the store. */
function lockPurpose(): string {
  return path.basename(process.argv[1] ?? process.execPath);
}

function vectorsName(generation: number): string {
  return `vectors-${generation}.f32`;
}

function recordsName(generation: number): string {
  return `records-${generation}.jsonl`;
}

function checkIdentity(manifest: StoreManifest, expected: StoreIdentity, dir: string): void {
  if (manifest.modelId !== expected.modelId || manifest.dimension !== expected.dimension) {
    throw new VectorTuneError(
      `this store holds ${manifest.dimension}-d embeddings of "${manifest.modelId}", not ${expected.dimension}-d embeddings of "${expected.modelId}"; vectors of two models cannot be mixed.`,
      dir,
      'Use another store folder for the other model, or delete this one and index again.',
    );
  }
}
