/**
 * The writes of the local Pinecone stand-in's data plane: upsert, update (by id, or by metadata filter with
 * `dryRun`) and delete (by ids, by filter, or all), with the service's limits and validation errors.
 */
import { HttpError } from './fake-pinecone-errors';
import { matches, type MissingFieldReading } from './fake-pinecone-filter';

/** A record as the stand-in holds it. */
export interface FakeRecord {
  id: string;
  values: number[];
  metadata?: Record<string, unknown>;
}

/** The fields of the write requests' JSON bodies, as the SDK sends them; each route checks what it uses. */
export interface WriteBody {
  namespace?: string;
  /** upsert */
  vectors?: FakeRecord[];
  /** update */
  id?: string;
  values?: number[];
  setMetadata?: Record<string, unknown>;
  filter?: unknown;
  dryRun?: boolean;
  /** delete */
  ids?: string[];
  deleteAll?: boolean;
}

const UPSERT_MAX_VECTORS = 1000;
const METADATA_MAX_BYTES = 40960;

export function upsert(records: Map<string, FakeRecord>, b: WriteBody, dimension: number): [number, unknown] {
  const vectors = b.vectors;
  if (!Array.isArray(vectors) || vectors.length === 0)
    throw new HttpError(400, 'INVALID_ARGUMENT', 'vectors must be a non-empty array');
  if (vectors.length > UPSERT_MAX_VECTORS)
    throw new HttpError(400, 'INVALID_ARGUMENT', `Upsert batch size exceeds ${UPSERT_MAX_VECTORS}`);
  for (const v of vectors) {
    if (typeof v.id !== 'string' || v.id === '')
      throw new HttpError(400, 'INVALID_ARGUMENT', 'Vector id must be a non-empty string');
    if (!Array.isArray(v.values) || v.values.length !== dimension) {
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        `Vector dimension ${v.values?.length} does not match the dimension of the index ${dimension}`,
      );
    }
    if (v.values.every((x) => x === 0))
      throw new HttpError(400, 'INVALID_ARGUMENT', 'Dense vectors must contain at least one non-zero value.');
    checkMetadata(v.metadata);
  }
  for (const v of vectors)
    records.set(v.id, { id: v.id, values: [...v.values], metadata: v.metadata ? { ...v.metadata } : undefined });
  return [200, { upsertedCount: vectors.length }];
}

/** By id (an unknown id answers 200 and changes nothing), or every record matching `filter` (metadata only). */
export function update(
  records: Map<string, FakeRecord>,
  b: WriteBody,
  dimension: number,
  reading: MissingFieldReading,
): [number, unknown] {
  if (typeof b.id === 'string' && b.filter !== undefined)
    throw new HttpError(400, 'INVALID_ARGUMENT', 'Provide either id or filter, not both');
  checkMetadata(b.setMetadata);
  if (b.filter !== undefined) {
    if (b.values) throw new HttpError(400, 'INVALID_ARGUMENT', 'Vector values cannot be updated by metadata filter');
    if (!b.setMetadata) throw new HttpError(400, 'INVALID_ARGUMENT', 'update by filter requires setMetadata');
    const matched = [...records.values()].filter((r) => matches(r.metadata ?? {}, b.filter, reading));
    if (!b.dryRun) for (const r of matched) r.metadata = { ...(r.metadata ?? {}), ...b.setMetadata };
    return [200, { matchedRecords: matched.length }];
  }
  if (typeof b.id !== 'string') throw new HttpError(400, 'INVALID_ARGUMENT', 'update requires an id or a filter');
  if (b.values && (!Array.isArray(b.values) || b.values.length !== dimension))
    throw new HttpError(400, 'INVALID_ARGUMENT', 'Vector dimension does not match');
  const r = records.get(b.id);
  if (r && !b.dryRun) {
    if (b.values) r.values = [...b.values];
    if (b.setMetadata) r.metadata = { ...(r.metadata ?? {}), ...b.setMetadata };
  }
  return [200, { matchedRecords: r ? 1 : 0 }];
}

export function remove(
  records: Map<string, FakeRecord>,
  b: WriteBody,
  reading: MissingFieldReading,
): [number, unknown] {
  if (b.deleteAll) records.clear();
  else if (Array.isArray(b.ids)) for (const id of b.ids) records.delete(id);
  else if (b.filter !== undefined) {
    for (const r of [...records.values()]) if (matches(r.metadata ?? {}, b.filter, reading)) records.delete(r.id);
  } else throw new HttpError(400, 'INVALID_ARGUMENT', 'ids, filter or deleteAll is required');
  return [200, {}];
}

function checkMetadata(metadata: unknown): void {
  if (metadata === undefined) return;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new HttpError(400, 'INVALID_ARGUMENT', 'metadata must be an object');
  for (const [key, value] of Object.entries(metadata)) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (Array.isArray(value) && value.every((s) => typeof s === 'string'));
    if (!ok)
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        `Metadata value for field ${key} must be a string, number, boolean or list of strings`,
      );
  }
  if (JSON.stringify(metadata).length > METADATA_MAX_BYTES)
    throw new HttpError(
      400,
      'INVALID_ARGUMENT',
      `Metadata size exceeds the limit of ${METADATA_MAX_BYTES} bytes per vector`,
    );
}
