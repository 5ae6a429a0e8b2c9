import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Index } from '@pinecone-database/pinecone';
import { VectorTuneError } from '../errors';
import { precisionOf } from './precision-check';
import { describeIndexOrNull, pineconeClient, type PineconeConnection } from './pinecone/connection';
import { toVectorTuneError } from './pinecone/errors';
import { seenField } from './pinecone/metadata';
import { readSeen, seenFile } from './seen-file';
import type { VectorRecord, VectorStore } from './types';

/**
 * Moving a collection between stores (embedded <-> Pinecone). Records are read from the source in batches
 * (`ids()` + `fetch()`), compared with what the destination already holds and only the missing or different
 * ones are upserted; then each head's seen ids of that batch are marked seen in the destination. Upsert and
 * markSeen are idempotent by id, so a copy interrupted at any point is resumed by running it again: it adds
 * no duplicates and fills the gaps. Seen state is additive: ids the destination already marks seen stay seen.
 *
 * The `VectorStore` interface has no way to list a head's seen ids, so the seen state is read through a
 * `SeenReader` for the source kind (the embedded store's seen/ files, or Pinecone's `seen_<head>` fields).
 */
export interface SeenReader {
  /** For these source ids: head -> the ids among them that head has seen (heads with none may be left out). */
  seenAmong(ids: string[]): Promise<Map<string, string[]>>;
}

export interface CopyProgress {
  /** Records read from the source so far. */
  read: number;
  /** Records written to the destination (missing or different there). */
  written: number;
  /** Records already identical in the destination (a resumed copy). */
  skipped: number;
  /** Seen markers sent to the destination, all heads together. */
  seenMarked: number;
  /** Source record count when the copy started (Pinecone counts are eventually consistent). */
  total: number;
}

export interface CopyOptions {
  from: VectorStore;
  to: VectorStore;
  /** Reads the source's seen state; omit to copy records only. */
  seen?: SeenReader;
  /** Heads whose seen state is copied; omit for every head the reader reports. */
  heads?: string[];
  /** Records per batch (default 200). */
  batchSize?: number;
  onProgress?: (p: CopyProgress) => void;
}

export interface CopyReport extends CopyProgress {
  /** Heads whose seen state was copied, with the number of seen ids each. */
  heads: Record<string, number>;
}

/** Refuses stores of different models, dimensions or centring before anything is written. */
export function checkCompatible(from: VectorStore, to: VectorStore): void {
  const a = from.info;
  const b = to.info;
  const problems: string[] = [];
  if (a.modelId !== b.modelId) problems.push(`embeddings of "${a.modelId}" cannot go into a store of "${b.modelId}"`);
  if (a.dimension !== b.dimension)
    problems.push(`${a.dimension}-d vectors cannot go into a store of ${b.dimension}-d vectors`);
  if (precisionOf(a) !== precisionOf(b))
    problems.push(`${precisionOf(a)} vectors cannot go into a store of ${precisionOf(b)} vectors`);
  if (
    (a.centringMean === null) !== (b.centringMean === null) ||
    (a.centringMean && b.centringMean && !sameVector(a.centringMean, b.centringMean))
  ) {
    problems.push('the two stores preprocess vectors differently (centring mean)');
  }
  if (problems.length > 0)
    throw new VectorTuneError(
      `cannot copy: ${problems.join('; ')}.`,
      undefined,
      'Copy into a store made for the same model.',
    );
}

export async function copyStore(options: CopyOptions): Promise<CopyReport> {
  const { from, to } = options;
  checkCompatible(from, to);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 200));
  const wanted = options.heads ? new Set(options.heads) : undefined;
  const progress: CopyProgress = { read: 0, written: 0, skipped: 0, seenMarked: 0, total: await from.count() };
  const heads: Record<string, number> = {};
  for (const h of options.heads ?? []) heads[h] = 0;
  const prepared = new Set<string>();
  options.onProgress?.({ ...progress });

  const copyBatch = async (ids: string[]) => {
    const records = await from.fetch(ids);
    const existing = new Map((await to.fetch(records.map((r) => r.id))).map((r) => [r.id, r]));
    const changed = records.filter((r) => !sameRecord(r, existing.get(r.id)));
    if (changed.length > 0) await to.upsert(changed);
    progress.read += records.length;
    progress.written += changed.length;
    progress.skipped += records.length - changed.length;
    if (options.seen) {
      const present = records.map((r) => r.id);
      for (const [head, seenIds] of await options.seen.seenAmong(present)) {
        if (wanted && !wanted.has(head)) continue;
        heads[head] = (heads[head] ?? 0) + seenIds.length;
        if (seenIds.length === 0) continue;
        if (!prepared.has(head)) await to.prepareMarker(head); // so its unmarked records read as unseen there
        prepared.add(head);
        await to.markSeen(head, seenIds);
        progress.seenMarked += seenIds.length;
      }
    }
    options.onProgress?.({ ...progress });
  };

  let batch: string[] = [];
  for await (const id of from.ids()) {
    batch.push(id);
    if (batch.length >= batchSize) {
      await copyBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await copyBatch(batch);
  return { ...progress, heads };
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameRecord(a: VectorRecord, b: VectorRecord | undefined): boolean {
  return (
    b !== undefined &&
    a.path === b.path &&
    a.hash === b.hash &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    sameVector(a.vector, b.vector)
  );
}

/** Heads with a seen file in an embedded store's seen/ folder. */
export async function embeddedHeads(storeDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(path.join(storeDir, 'seen'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.endsWith('.txt'))
    .map((n) => decodeURIComponent(n.slice(0, -4)))
    .sort();
}

/** Seen state of an embedded store, read from its seen/<head>.txt files (every head there unless `heads`). */
export async function embeddedSeenReader(storeDir: string, heads?: string[]): Promise<SeenReader> {
  const sets = new Map<string, Set<string>>();
  for (const head of heads ?? (await embeddedHeads(storeDir)))
    sets.set(head, new Set(await readSeen(seenFile(storeDir, head))));
  return {
    async seenAmong(ids) {
      const out = new Map<string, string[]>();
      for (const [head, set] of sets)
        out.set(
          head,
          ids.filter((id) => set.has(id)),
        );
      return out;
    },
  };
}

export interface PineconeSeenOptions extends PineconeConnection {
  /** Heads to read; omit to read every `seen_*` field found on the records. */
  heads?: string[];
}

/**
 * Seen state of a Pinecone index, read from the records' `seen_<head>` metadata fields (see metadata.ts):
 * `true` means seen. Without `heads`, every seen field found is decoded back to its head name.
 */
export async function pineconeSeenReader(options: PineconeSeenOptions): Promise<SeenReader> {
  const index = await rawIndex(options);
  const fieldToHead = new Map((options.heads ?? []).map((h) => [seenField(h), h]));
  return {
    async seenAmong(ids) {
      const out = new Map<string, string[]>();
      for (const h of options.heads ?? []) out.set(h, []);
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        let res;
        try {
          res = await index.fetch({ ids: chunk });
        } catch (err) {
          throw toVectorTuneError(err, 'fetch seen markers', options.indexName);
        }
        for (const id of chunk) {
          const metadata = (res.records?.[id]?.metadata ?? {}) as Record<string, unknown>;
          for (const [key, value] of Object.entries(metadata)) {
            if (!key.startsWith('seen_') || typeof value !== 'boolean') continue;
            const head = options.heads ? fieldToHead.get(key) : headOfField(key);
            if (head === undefined) continue;
            if (!out.has(head)) out.set(head, []);
            if (value) out.get(head)!.push(id);
          }
        }
      }
      return out;
    },
  };
}

/** Inverse of `seenField`: plain names are `seen_<head>`, others `seen__<utf-8 hex>`. */
export function headOfField(key: string): string {
  const hex = /^seen__((?:[0-9a-f]{2})+)$/.exec(key);
  return hex ? Buffer.from(hex[1], 'hex').toString('utf8') : key.slice('seen_'.length);
}

async function rawIndex(options: PineconeSeenOptions): Promise<Index> {
  const pc = pineconeClient(options);
  let host = options.host;
  if (!host) {
    const described = await describeIndexOrNull(pc, options.indexName);
    if (!described)
      throw toVectorTuneError(
        { name: 'PineconeNotFoundError' },
        `describe index "${options.indexName}"`,
        options.indexName,
      );
    host = described.host;
  }
  return pc.index({ name: options.indexName, host, namespace: options.namespace ?? '' });
}
