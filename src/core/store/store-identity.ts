import { VectorTuneError } from '../errors';
import { allFinite } from '../vector';
import type { StoreIdentity, VectorRecord } from './types';

/**
 * Refuses vectors of another model or dimension than a store holds: `holder` says which store ("this store", "the
 * Pinecone index ..."), `file` names its folder when it has one.
 */
export function refuseOtherModel(
  held: Pick<StoreIdentity, 'modelId' | 'dimension'>,
  wanted: Pick<StoreIdentity, 'modelId' | 'dimension'>,
  holder: string,
  file: string | undefined,
): void {
  if (held.modelId === wanted.modelId && held.dimension === wanted.dimension) return;
  throw new VectorTuneError(
    `${holder} holds ${held.dimension}-d embeddings of "${held.modelId}", not ${wanted.dimension}-d embeddings of "${wanted.modelId}"; vectors of two models cannot be mixed.`,
    file,
    'Use another store folder for the other model, or delete this one and index again.',
  );
}

/** A record a store of `identity` can take: an id, and a finite vector of the store's dimension. */
export function checkRecord(r: VectorRecord, identity: StoreIdentity, dir: string): void {
  if (typeof r.id !== 'string' || r.id === '') throw new VectorTuneError('a record has an empty id.', dir);
  if (r.vector.length !== identity.dimension) {
    throw new VectorTuneError(
      `record "${r.id}" has a ${r.vector.length}-d vector; this store holds ${identity.dimension}-d vectors of ${identity.modelId}.`,
      dir,
    );
  }
  if (!allFinite(r.vector))
    throw new VectorTuneError(`record "${r.id}" has a vector with NaN or infinite values.`, dir);
}
