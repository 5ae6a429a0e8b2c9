import type { RecordMeta } from '../types';

/**
 * Seen state is one boolean metadata field per seen marker (a head's id, seen-markers.ts), `seen_<marker>`, on the
 * records themselves, rather than one namespace per head. A Pinecone query reads one namespace, so "nearest unseen"
 * needs the vectors and the seen marker in the same namespace: per-head namespaces would mean a full copy of the
 * collection per head. With a field, marking seen is an idempotent `update(setMetadata)` per id, "unseen" is the
 * filter `{ seen_<marker>: { $eq: false } }` on a field every record carries (markers.ts), and resetting one head
 * writes `false` to that head's field only, leaving every other head's field alone.
 */
export function seenField(head: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(head)) return `seen_${head}`;
  // Other names (spaces, dots, non-ASCII, '$'...) are hex-encoded so the key is always a plain identifier.
  // The double underscore cannot start a plain name's field, so two heads never share a field.
  return `seen__${Buffer.from(head, 'utf8').toString('hex')}`;
}

export function unseenFilter(head: string): object {
  return { [seenField(head)]: { $eq: false } };
}

export type PineconeMetadata = Record<string, string | number | boolean | string[]>;

/** The record's own metadata (no seen fields): Pinecone has no null, so absent fields are left out. */
export function toMetadata(r: RecordMeta): PineconeMetadata {
  const m: PineconeMetadata = {};
  if (r.path !== undefined) m.path = r.path;
  if (r.hash !== undefined) m.hash = r.hash;
  if (r.size !== undefined) m.size = r.size;
  if (r.mtimeMs !== undefined) m.mtimeMs = r.mtimeMs;
  return m;
}

export function fromMetadata(id: string, m: Record<string, unknown> | undefined): RecordMeta {
  const r: RecordMeta = { id };
  if (typeof m?.path === 'string') r.path = m.path;
  if (typeof m?.hash === 'string') r.hash = m.hash;
  if (typeof m?.size === 'number') r.size = m.size;
  if (typeof m?.mtimeMs === 'number') r.mtimeMs = m.mtimeMs;
  return r;
}

/** The seen fields of an existing record, carried over when it is re-upserted (upsert replaces metadata). */
export function seenFields(m: Record<string, unknown> | undefined): PineconeMetadata {
  const out: PineconeMetadata = {};
  for (const [k, v] of Object.entries(m ?? {})) if (k.startsWith('seen_') && typeof v === 'boolean') out[k] = v;
  return out;
}

/** Pinecone index tag values: letters, digits, '_' and '-', at most 120 characters. */
export function modelTag(modelId: string): string {
  return modelId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120);
}
