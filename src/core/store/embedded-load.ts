import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';
import { crc32 } from '../util/hash';
import { storeFiles } from './embedded-files';
import { readManifest, STORE_FORMAT, StoreManifest, writeManifest } from './manifest';
import { formatVersionFor, precisionError, recordedPrecision } from './precision-check';
import { QuantisedRows } from './quantised-rows';
import { readRecords } from './records-file';
import type { RecordMeta, StoreIdentity, StoreInfo } from './types';
import { VectorFile } from './vector-file';

/** What opening an embedded store reads into memory. */
export interface LoadedStore {
  /** With the checksums of what was read, so the next commit records them even for a store written before them. */
  manifest: StoreManifest;
  rows: QuantisedRows;
  file: VectorFile;
  records: RecordMeta[];
  info: StoreInfo;
}

/**
 * Reads a committed store: the manifest, the records, and every vector into int8 rows while checking the vectors
 * file's checksum. When `expected` is given, a store of another model or dimension is refused.
 */
export async function loadStore(dir: string, expected: StoreIdentity | undefined): Promise<LoadedStore> {
  const manifest = await readManifest(storeFiles.manifest(dir));
  if (expected) checkIdentity(manifest, expected, dir);
  const { dimension, count } = manifest;
  const { records, crc32: recordsCrc32 } = await readRecords(
    storeFiles.records(dir, manifest.generation),
    manifest.recordsBytes,
    count,
    manifest.recordsCrc32,
  );
  const file = new VectorFile(storeFiles.vectors(dir, manifest.generation), dimension);
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
  const centringMean = manifest.centringMean ? Float32Array.from(manifest.centringMean) : null;
  return {
    manifest: { ...manifest, vectorsCrc32, recordsCrc32 },
    rows,
    file,
    records,
    info: { modelId: manifest.modelId, dimension, ...recordedPrecision(manifest.precision), centringMean },
  };
}

/** Writes an empty store of generation 0 for this model. */
export async function createStore(dir: string, identity: StoreIdentity): Promise<void> {
  const now = new Date().toISOString();
  const manifest: StoreManifest = {
    format: STORE_FORMAT,
    version: formatVersionFor(identity.precision),
    modelId: identity.modelId,
    dimension: identity.dimension,
    ...recordedPrecision(identity.precision),
    count: 0,
    recordsBytes: 0,
    generation: 0,
    centringMean: identity.centringMean ? Array.from(identity.centringMean) : null,
    createdAt: now,
    updatedAt: now,
  };
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(storeFiles.vectors(dir, 0), new Uint8Array(0));
  await writeFileAtomic(storeFiles.records(dir, 0), '');
  await writeManifest(storeFiles.manifest(dir), manifest);
}

function checkIdentity(manifest: StoreManifest, expected: StoreIdentity, dir: string): void {
  if (manifest.modelId !== expected.modelId || manifest.dimension !== expected.dimension) {
    throw new VectorTuneError(
      `this store holds ${manifest.dimension}-d embeddings of "${manifest.modelId}", not ${expected.dimension}-d embeddings of "${expected.modelId}"; vectors of two models cannot be mixed.`,
      dir,
      'Use another store folder for the other model, or delete this one and index again.',
    );
  }
  const mixed = precisionError('this store cannot take these vectors', manifest, expected, dir);
  if (mixed) throw mixed;
}
