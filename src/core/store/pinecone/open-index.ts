import type { Index, IndexModel, Pinecone } from '@pinecone-database/pinecone';
import { VectorTuneError } from '../../errors';
import type { StoreInfo } from '../types';
import { describeIndexOrNull, pineconeClient, type PineconeConnection } from './connection';
import { toVectorTuneError } from './errors';
import { modelTag } from './metadata';
import { readStoreRecord, sameMean, STORE_NAMESPACE, type StoredInfo, writeStoreRecord } from './store-record';
import { precisionError, recordedPrecision } from '../precision-check';
import type { ModelPrecision } from '../../embed/precision';

export const METRIC = 'dotproduct';

/** What a store of this model needs; `centringMean` undefined: whatever the index holds (none for a new one). */
export interface StoreIdentityRequest {
  modelId: string;
  dimension: number;
  precision?: ModelPrecision;
  centringMean?: Float32Array | null;
  /** Serverless spec used when the index has to be created. */
  cloud?: string;
  region?: string;
  /** Create the index (and its store record) when absent (default true). */
  create?: boolean;
}

export interface OpenedIndex {
  index: Index;
  info: StoreInfo;
  /** When the store record was written ('' for an index without one): names this store among others made there. */
  createdAt: string;
}

/**
 * Connects for a known model: creates the index when absent (dimension from the model, dotproduct,
 * serverless), refuses one of another dimension, metric or model, and settles the store record: an index
 * that has one keeps its centring mean (a caller asking for another is refused); one without it gets one.
 */
export async function connectIndex(connection: PineconeConnection, wanted: StoreIdentityRequest): Promise<OpenedIndex> {
  checkNamespace(connection);
  const { indexName } = connection;
  const pc = pineconeClient(connection);
  const described =
    (await describeIndexOrNull(pc, indexName)) ??
    (wanted.create === false ? notFound(indexName) : await createIndex(pc, indexName, wanted));
  const mismatch = indexMismatch(described, wanted);
  const index = pc.index({
    name: indexName,
    host: connection.host ?? described.host,
    namespace: connection.namespace ?? '',
  });
  const stored = await readStoreRecord(index, connection.namespace, indexName);
  if (stored && stored.modelId !== wanted.modelId && !mismatch.some((m) => m.startsWith('embeddings of')))
    mismatch.push(`embeddings of "${stored.modelId}" (not "${wanted.modelId}")`);
  if (mismatch.length > 0) {
    throw new VectorTuneError(
      `the Pinecone index "${indexName}" holds ${mismatch.join(' and ')}; it cannot be used for this model.`,
      undefined,
      'Choose another index name in the settings, or delete that index in the Pinecone console.',
    );
  }
  if (stored) {
    const mixed = precisionError(`the Pinecone index "${indexName}" cannot take these vectors`, stored, wanted);
    if (mixed) throw mixed;
    if (wanted.centringMean !== undefined && !sameMean(stored.centringMean, wanted.centringMean)) {
      throw new VectorTuneError(
        `the Pinecone index "${indexName}" holds vectors ${stored.centringMean ? 'centred by another mean' : 'that are not mean-centred'}, but these vectors are ${wanted.centringMean ? 'centred by their own mean' : 'not centred'}; the two cannot be mixed.`,
        undefined,
        'Use another index (or namespace) for this store.',
      );
    }
    return { index, info: withoutTime(stored), createdAt: stored.createdAt };
  }
  const info: StoreInfo = {
    modelId: wanted.modelId,
    dimension: wanted.dimension,
    ...recordedPrecision(wanted.precision),
    centringMean: wanted.centringMean ?? null,
  };
  if (wanted.create === false) return { index, info, createdAt: '' }; // read-only use of an index made before store records
  if (info.centringMean && (await dataCount(index, connection, indexName)) > 0) {
    throw new VectorTuneError(
      `the Pinecone index "${indexName}" already holds records but no store record saying how they were preprocessed; centred vectors cannot be added to them.`,
      undefined,
      'Use another index (or namespace) for a centred store.',
    );
  }
  const createdAt = await writeStoreRecord(index, info, connection.namespace, indexName);
  return { index, info, createdAt };
}

/** Opens an index that Vector Tune made, for whatever model its store record names. */
export async function openIndex(connection: PineconeConnection): Promise<OpenedIndex> {
  checkNamespace(connection);
  const { indexName } = connection;
  const pc = pineconeClient(connection);
  const described = (await describeIndexOrNull(pc, indexName)) ?? notFound(indexName);
  const index = pc.index({
    name: indexName,
    host: connection.host ?? described.host,
    namespace: connection.namespace ?? '',
  });
  const stored = await readStoreRecord(index, connection.namespace, indexName);
  if (!stored) {
    throw new VectorTuneError(
      `the Pinecone index "${indexName}" has no Vector Tune store record (namespace ${STORE_NAMESPACE}): no Vector Tune store was made in it yet.`,
      undefined,
      'Index a folder into it first, or copy a store into it with vector-tune copy-store.',
    );
  }
  return { index, info: withoutTime(stored), createdAt: stored.createdAt };
}

function withoutTime({ modelId, dimension, centringMean }: StoredInfo): StoreInfo {
  return { modelId, dimension, centringMean };
}

/** The store's size and model, or null when there is no such index or no store in it yet. */
export async function summariseIndex(
  connection: PineconeConnection,
): Promise<{ count: number; modelId: string; dimension: number } | null> {
  const pc = pineconeClient(connection);
  const described = await describeIndexOrNull(pc, connection.indexName);
  if (!described) return null;
  const index = pc.index({
    name: connection.indexName,
    host: connection.host ?? described.host,
    namespace: connection.namespace ?? '',
  });
  const info = await readStoreRecord(index, connection.namespace, connection.indexName);
  if (!info) return null;
  return {
    count: await dataCount(index, connection, connection.indexName),
    modelId: info.modelId,
    dimension: info.dimension,
  };
}

/** Records in the data namespace (Pinecone's counts lag writes by seconds). */
export async function dataCount(index: Index, connection: PineconeConnection, indexName: string): Promise<number> {
  let stats;
  try {
    stats = await index.describeIndexStats();
  } catch (err) {
    throw toVectorTuneError(err, 'count records', indexName);
  }
  // The SDK names the default namespace "__default__" (older indexes report it as '').
  const ns = connection.namespace || '__default__';
  return (stats.namespaces?.[ns] ?? (ns === '__default__' ? stats.namespaces?.[''] : undefined))?.recordCount ?? 0;
}

function checkNamespace(connection: PineconeConnection): void {
  if (connection.namespace === STORE_NAMESPACE) {
    throw new VectorTuneError(
      `the namespace "${STORE_NAMESPACE}" is reserved for Vector Tune's store records; choose another namespace for the data.`,
    );
  }
}

function notFound(indexName: string): never {
  throw new VectorTuneError(
    `Pinecone has no index named "${indexName}" (HTTP 404).`,
    undefined,
    'Check the index name and host in the settings, or index a folder to create it.',
  );
}

async function createIndex(pc: Pinecone, indexName: string, wanted: StoreIdentityRequest): Promise<IndexModel> {
  try {
    const created = await pc.createIndex({
      name: indexName,
      dimension: wanted.dimension,
      metric: METRIC,
      spec: { serverless: { cloud: wanted.cloud ?? 'aws', region: wanted.region ?? 'us-east-1' } },
      tags: { vector_tune_model: modelTag(wanted.modelId) },
      waitUntilReady: true,
      suppressConflicts: true,
    });
    return created?.host ? created : await pc.describeIndex(indexName);
  } catch (err) {
    throw toVectorTuneError(err, `create index "${indexName}"`, indexName);
  }
}

function indexMismatch(described: IndexModel, wanted: StoreIdentityRequest): string[] {
  const mismatch: string[] = [];
  if (described.dimension !== wanted.dimension)
    mismatch.push(`${described.dimension}-d vectors (this model makes ${wanted.dimension}-d)`);
  if (described.metric !== METRIC)
    mismatch.push(`the "${described.metric}" metric (Vector Tune needs "${METRIC}": a head scores by w·x)`);
  const tag = described.tags?.vector_tune_model;
  if (tag !== undefined && tag !== modelTag(wanted.modelId))
    mismatch.push(`embeddings of "${tag}" (not "${wanted.modelId}")`);
  return mismatch;
}
