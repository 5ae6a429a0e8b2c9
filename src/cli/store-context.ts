import { UsageError } from './command';
import * as path from 'node:path';
import { VectorTuneError } from '../core/errors';
import type { StoreAccess } from '../core/store/embedded-store';
import { openStore, type StoreLocation } from '../core/store/store-location';
import type { VectorStore } from '../core/store/types';
import type { CliIo } from './command';
import { storeOptions } from './common-options';

/** The values of storeOptions and pineconeOptions, as a command has them. */
export interface StoreValues {
  store?: string;
  'pinecone-index'?: string;
  'pinecone-cloud'?: string;
  'pinecone-region'?: string;
  'pinecone-host'?: string;
  'pinecone-controller-host'?: string;
}

/** The embedded store in --store, or the Pinecone index in --pinecone-index (key from PINECONE_API_KEY). */
export function cliStoreLocation(v: StoreValues, io: CliIo): StoreLocation {
  const indexName = v['pinecone-index'];
  if (indexName === undefined)
    return { kind: 'embedded', dir: path.resolve(io.cwd, v.store ?? storeOptions.store.default) };
  if (v.store !== undefined && v.store !== storeOptions.store.default) {
    throw new UsageError('give either --store (the embedded store) or --pinecone-index, not both.');
  }
  if (indexName === '') throw new UsageError('--pinecone-index needs the name of a Pinecone index.');
  const apiKey = io.env.PINECONE_API_KEY;
  if (!apiKey) {
    throw new VectorTuneError(
      'PINECONE_API_KEY is not set.',
      undefined,
      'Export your Pinecone API key in PINECONE_API_KEY (it is never read from an option).',
    );
  }
  return {
    kind: 'pinecone',
    connection: { apiKey, indexName, host: v['pinecone-host'], controllerHostUrl: v['pinecone-controller-host'] },
    cloud: v['pinecone-cloud'],
    region: v['pinecone-region'],
  };
}

export function openCliStore(v: StoreValues, io: CliIo, access: StoreAccess = 'write'): Promise<VectorStore> {
  return openStore(cliStoreLocation(v, io), access);
}
