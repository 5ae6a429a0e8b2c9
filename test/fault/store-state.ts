/**
 * An embedded store as the crash checks see it, read without taking its writer lock (so the stale lock of a killed
 * victim stays for the resumed run to take over): every record with its vector, and each head's seen ids.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { scanTopK } from '../../src/core/store/scan';
import { readSeen, seenFile } from '../../src/core/store/seen-file';
import { problem, type Problem } from './scenario';

export interface StoreRecord {
  /** id, path, hash, size, mtimeMs as JSON. */
  meta: string;
  /** The float32 bytes, base64: compared exactly. */
  vector: string;
}

export interface StoreState {
  records: Map<string, StoreRecord>;
  seen: Map<string, string[]>;
}

/** Null when there is no store yet; a problem when the store exists but does not open or holds a bad record. */
export async function readStoreState(dir: string, heads: string[] = []): Promise<StoreState | null | Problem> {
  if (!(await EmbeddedStore.exists(dir))) return null;
  let store: EmbeddedStore;
  try {
    store = await EmbeddedStore.open(dir, undefined, 'read');
  } catch (err) {
    return problem('torn', `the store does not open: ${(err as Error).message}`);
  }
  try {
    const ids = store.allRecords().map((r) => r.id);
    if (new Set(ids).size !== ids.length) return problem('torn', 'the store holds an id twice');
    if ((await store.count()) !== ids.length) return problem('torn', "the store's count differs from its records");
    const records = new Map<string, StoreRecord>();
    for (const r of await store.fetch(ids)) {
      const bad = r.vector.length !== store.info.dimension || !r.vector.every(Number.isFinite);
      if (bad)
        return problem('torn', `record ${r.id} has a half-written vector (${r.vector.length} values, not all finite)`);
      const { vector, ...meta } = r;
      records.set(r.id, {
        meta: JSON.stringify(meta),
        vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64'),
      });
    }
    const searched = await searchMatchesVectors(store, ids);
    if (searched) return searched;
    const seen = new Map<string, string[]>();
    for (const head of heads) seen.set(head, [...new Set(await readSeen(seenFile(dir, head)))].sort());
    return { records, seen };
  } finally {
    await store.close();
  }
}

/**
 * The search runs on the store's search cache (codes, row numbers, id table) as the last commit left it: after a kill,
 * its answers must be the plain scan's over the vectors the store holds, for both rankings.
 */
async function searchMatchesVectors(store: EmbeddedStore, ids: string[]): Promise<Problem | null> {
  const d = store.info.dimension;
  const fetched = await store.fetch(ids);
  const all = new Float32Array(fetched.length * d);
  fetched.forEach((r, i) => all.set(r.vector, i * d));
  const w = Float32Array.from({ length: d }, (_, j) => Math.sin(j + 1));
  for (const ranking of [{ kind: 'top' } as const, { kind: 'boundary', bias: 0.1 } as const]) {
    const k = Math.min(10, ids.length);
    const got = (await store.query(w, { k, ranking })).map((c) => `${c.id} ${c.dot}`);
    const want = scanTopK(all, d, fetched.length, w, k, ranking).map((h) => `${fetched[h.row].id} ${h.dot}`);
    if (got.join() !== want.join())
      return problem(
        'torn',
        `the search (${ranking.kind}) answers ${got.join('; ')}, the vectors say ${want.join('; ')}`,
      );
  }
  return null;
}

export function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null && 'kind' in v && 'message' in v;
}

/** Each record must be exactly one of the versions some uninterrupted run wrote for its id (none torn, none invented). */
export function checkRecordVersions(state: StoreState, versions: StoreState[], what: string): Problem[] {
  const problems: Problem[] = [];
  for (const [id, r] of state.records) {
    const known = versions.map((v) => v.records.get(id)).filter((v): v is StoreRecord => v !== undefined);
    if (known.length === 0)
      problems.push(problem('torn', `${what}: record ${id} was never written by an uninterrupted run`));
    else if (!known.some((k) => k.meta === r.meta && k.vector === r.vector)) {
      problems.push(
        problem(
          'torn',
          `${what}: record ${id} matches no version an uninterrupted run wrote (vector or metadata torn)`,
        ),
      );
    }
  }
  return problems;
}

/** Every record of `expected` present in `state` with the same vector and metadata. */
export function missingRecords(state: StoreState | null, expected: StoreState): string[] {
  return [...expected.records]
    .filter(([id, r]) => {
      const got = state?.records.get(id);
      return !got || got.meta !== r.meta || got.vector !== r.vector;
    })
    .map(([id]) => id);
}

/** A store state as plain JSON, for comparing a resumed store with the reference. */
export function storeJson(
  state: StoreState | null,
): { records: Record<string, StoreRecord>; seen: Record<string, string[]> } | null {
  if (!state) return null;
  return {
    records: Object.fromEntries([...state.records].sort(([a], [b]) => (a < b ? -1 : 1))),
    seen: Object.fromEntries(state.seen),
  };
}

/** File names in a folder and its sub-folders (sorted), e.g. to see temporary or lock files left behind. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string) => {
    for (const e of await fs.readdir(path.join(dir, sub), { withFileTypes: true }).catch(() => [])) {
      const rel = path.posix.join(sub, e.name);
      if (e.isDirectory()) await walk(rel);
      else out.push(rel);
    }
  };
  await walk('');
  return out.sort();
}

/**
 * A data file's generation masked: a resumed import may rewrite into more generations than an uninterrupted one. So are
 * a head's id (new in every run) and its store's digest (of a folder that differs run to run) in seen file names.
 */
function maskGeneration(name: string): string {
  return name
    .replace(/^(vectors|records|search)-\d+\./, '$1-<generation>.')
    .replace(/[0-9a-f]{32}\.txt$/, '<head id>.txt')
    .replace(/seen-[0-9a-f]{12}-/, 'seen-<store>-');
}

/**
 * The files of a folder against the uninterrupted run's: each one left behind (a temporary, a lock, a second
 * generation's data file beside the current one) or missing is named.
 */
export async function compareFiles(what: string, dir: string, expected: string[]): Promise<Problem[]> {
  const pool = expected.map(maskGeneration);
  const extra: string[] = [];
  for (const name of await listFiles(dir)) {
    const i = pool.indexOf(maskGeneration(name));
    if (i >= 0) pool.splice(i, 1);
    else extra.push(name);
  }
  const parts = [
    extra.length > 0 ? `left behind: ${extra.join(', ')}` : '',
    pool.length > 0 ? `missing: ${pool.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? [problem('mismatch', `${what}: ${parts.join('; ')}`)] : [];
}
