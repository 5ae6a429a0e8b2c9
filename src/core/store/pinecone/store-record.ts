import type { Index } from '@pinecone-database/pinecone';
import { VectorTuneError } from '../../errors';
import { isModelPrecision, MODEL_PRECISIONS } from '../../embed/precision';
import { formatVersionFor, recordedPrecision } from '../precision-check';
import type { StoreInfo } from '../types';
import { toVectorTuneError } from './errors';

/**
 * What the embedded store keeps in its manifest (format version, model id, dimension, centring mean), a
 * Pinecone index keeps in one reserved record per data namespace, so every client of a shared index reads
 * the same preprocessing. The record lives in its own namespace: a query reads one namespace, so queries,
 * counts and listings of the data never see it.
 *
 * The mean travels as the record's `values` (float32, as in the embedded manifest, so it round-trips
 * exactly). An uncentred store writes a unit vector there instead: Pinecone refuses an all-zero dense vector.
 */
export const STORE_NAMESPACE = '__vector_tune__';
export const STORE_RECORD_FORMAT = 'vector-tune-store';
/** Version 2: the record names a precision other than fp32 (../precision-check.ts). */
export const STORE_RECORD_VERSION = 2;

interface StoreRecordMetadata {
  format: string;
  version: number;
  modelId: string;
  dimension: number;
  centred: boolean;
  namespace: string;
  createdAt: string;
  [key: string]: string | number | boolean;
}

/** One record per data namespace; the default namespace is named as Pinecone names it. */
export function storeRecordId(namespace: string | undefined): string {
  return `store:${namespace || '__default__'}`;
}

export async function readStoreRecord(
  index: Index,
  namespace: string | undefined,
  indexName: string,
): Promise<StoredInfo | null> {
  const id = storeRecordId(namespace);
  let res;
  try {
    res = await index.fetch({ ids: [id], namespace: STORE_NAMESPACE });
  } catch (err) {
    throw toVectorTuneError(err, 'read the store record', indexName);
  }
  const record = res.records?.[id];
  return record
    ? decode(record.values ?? [], (record.metadata ?? {}) as Partial<StoreRecordMetadata>, indexName)
    : null;
}

export async function writeStoreRecord(
  index: Index,
  info: StoreInfo,
  namespace: string | undefined,
  indexName: string,
): Promise<string> {
  const values = info.centringMean ? Array.from(info.centringMean) : unitVector(info.dimension);
  if (info.centringMean && values.every((v) => v === 0)) {
    throw new VectorTuneError(
      'the centring mean is all zeros; Pinecone cannot store it (and centring by it changes nothing).',
    );
  }
  const metadata: StoreRecordMetadata = {
    format: STORE_RECORD_FORMAT,
    version: formatVersionFor(info.precision),
    modelId: info.modelId,
    dimension: info.dimension,
    ...recordedPrecision(info.precision),
    centred: info.centringMean !== null,
    namespace: namespace || '__default__',
    createdAt: new Date().toISOString(),
  };
  try {
    await index.upsert({ records: [{ id: storeRecordId(namespace), values, metadata }], namespace: STORE_NAMESPACE });
  } catch (err) {
    throw toVectorTuneError(err, 'write the store record', indexName);
  }
  return metadata.createdAt;
}

/** The store's identity, and when its record was written: a store made again in the same index is another store. */
export type StoredInfo = StoreInfo & { createdAt: string };

function decode(values: number[], m: Partial<StoreRecordMetadata>, indexName: string): StoredInfo {
  const where = `the store record of the Pinecone index "${indexName}" (namespace ${STORE_NAMESPACE})`;
  const bad = (what: string) =>
    new VectorTuneError(
      `${where} is invalid: ${what}.`,
      undefined,
      'Delete that record (or the index) and copy or index the store again.',
    );
  if (m.format !== STORE_RECORD_FORMAT) throw bad(`"format" must be "${STORE_RECORD_FORMAT}"`);
  if (typeof m.version !== 'number' || !Number.isInteger(m.version)) throw bad('"version" must be an integer');
  if (m.version > STORE_RECORD_VERSION) {
    throw new VectorTuneError(
      `${where} was written by a newer version of Vector Tune (store format ${m.version}; this version reads up to ${STORE_RECORD_VERSION}).`,
      undefined,
      'Update Vector Tune.',
    );
  }
  if (typeof m.modelId !== 'string' || m.modelId === '') throw bad('"modelId" must be a non-empty string');
  if (typeof m.dimension !== 'number' || !Number.isInteger(m.dimension) || m.dimension < 1)
    throw bad('"dimension" must be a positive integer');
  if (typeof m.centred !== 'boolean') throw bad('"centred" must be true or false');
  // Written only when not fp32 (recordedPrecision), so it is not a declared field.
  const precision: unknown = m.precision;
  if (precision !== undefined && !isModelPrecision(precision))
    throw bad(`"precision" must be one of ${MODEL_PRECISIONS.join(', ')}`);
  if (values.length !== m.dimension || !values.every(Number.isFinite))
    throw bad(`its values must be ${m.dimension} finite numbers`);
  return {
    modelId: m.modelId,
    dimension: m.dimension,
    ...recordedPrecision(precision),
    centringMean: m.centred ? Float32Array.from(values) : null,
    createdAt: typeof m.createdAt === 'string' ? m.createdAt : '',
  };
}

function unitVector(dimension: number): number[] {
  const v = new Array<number>(dimension).fill(0);
  v[0] = 1;
  return v;
}

export function sameMean(a: Float32Array | null, b: Float32Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
