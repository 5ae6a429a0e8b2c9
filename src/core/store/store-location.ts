import { EmbeddedStore, type StoreAccess } from './embedded-store';
import type { StoreIdentity } from './types';
import { readManifest } from './manifest';
import type { PineconeConnection } from './pinecone/connection';
import { summariseIndex } from './pinecone/open-index';
import { PineconeStore } from './pinecone/pinecone-store';
import { precisionError } from './precision-check';
import { refuseOtherModel } from './store-identity';
import type { VectorStore } from './types';

/**
 * Where the vectors live: the embedded store's folder, or a Pinecone index. The worker and the CLI choose
 * the store through this one type, so both open, create and describe a store the same way.
 */
export type StoreLocation =
  | { kind: 'embedded'; dir: string }
  | {
      kind: 'pinecone';
      connection: PineconeConnection;
      /** Serverless spec for an index that has to be created (defaults aws, us-east-1). */
      cloud?: string;
      region?: string;
    };

/**
 * Opens the existing store, for whatever model it holds (an embedded manifest, a Pinecone store record). `read`
 * skips the embedded store's writer lock, so a command that only reads runs while VS Code has the store open.
 */
export async function openStore(location: StoreLocation, access: StoreAccess = 'write'): Promise<VectorStore> {
  if (location.kind === 'embedded') return EmbeddedStore.open(location.dir, undefined, access);
  return PineconeStore.open(location.connection);
}

/**
 * The store already open in this process, lent to work that closes what it is given (indexing): it is checked for
 * vectors of this model and precision, as opening it would be, and its `close` does nothing, so its owner keeps it open. One store
 * per process: a second open of an embedded store would hold a second copy of its codes and miss the other's writes.
 */
export function lendStore(store: VectorStore, identity: StoreIdentity, location: StoreLocation): VectorStore {
  refuseOtherModel(
    store.info,
    identity,
    describeLocation(location),
    location.kind === 'embedded' ? location.dir : undefined,
  );
  // As opening would: vectors of another precision lie near the stored ones but not on them.
  const mixed = precisionError(
    `${describeLocation(location)} cannot take these vectors`,
    store.info,
    identity,
    location.kind === 'embedded' ? location.dir : undefined,
  );
  if (mixed) throw mixed;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'close') return async () => undefined;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Opens the store for vectors of this model, creating it when there is none; another model's store is refused. */
export async function openOrCreateStore(location: StoreLocation, identity: StoreIdentity): Promise<VectorStore> {
  if (location.kind === 'embedded') return EmbeddedStore.openOrCreate(location.dir, identity);
  return PineconeStore.connect({ ...location.connection, ...identity, cloud: location.cloud, region: location.region });
}

/**
 * The store's size and model without opening it (an embedded store's manifest is its committed state, so
 * this answers while an index run is writing), or null when there is no store yet.
 */
export async function storeSummary(
  location: StoreLocation,
): Promise<{ count: number; modelId: string; dimension: number } | null> {
  if (location.kind === 'pinecone') return summariseIndex(location.connection);
  if (!(await EmbeddedStore.exists(location.dir))) return null;
  const manifest = await readManifest(EmbeddedStore.manifestPath(location.dir));
  return { count: manifest.count, modelId: manifest.modelId, dimension: manifest.dimension };
}

/** For messages: "the store" (its folder is the message's file) or the Pinecone index by name. */
export function describeLocation(location: StoreLocation): string {
  return location.kind === 'embedded' ? 'the store' : `the Pinecone index "${location.connection.indexName}"`;
}
