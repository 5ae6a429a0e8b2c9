import { Pinecone, type IndexModel } from '@pinecone-database/pinecone';
import { toVectorTuneError } from './errors';
import { retryingFetch, type TransportOptions } from './transport';

/** Where a Pinecone index is and how to reach it: what the store, copy-store and the settings share. */
export interface PineconeConnection extends TransportOptions {
  /** From SecretStorage or PINECONE_API_KEY; only ever sent in the Api-Key header. */
  apiKey: string;
  indexName: string;
  /** The index's data-plane host; resolved with describeIndex when absent. */
  host?: string;
  /** Control-plane URL (tests point it at a local server). */
  controllerHostUrl?: string;
  /** The data namespace ('' is Pinecone's default namespace). */
  namespace?: string;
}

/** A client whose requests go through our transport (timeouts, retries, the bad-key error); the SDK's own retries are off. */
export function pineconeClient(connection: PineconeConnection): Pinecone {
  return new Pinecone({
    apiKey: connection.apiKey,
    ...(connection.controllerHostUrl ? { controllerHostUrl: connection.controllerHostUrl } : {}),
    fetchApi: retryingFetch(connection),
    maxRetries: 0,
  });
}

/** The index's description, or null when there is no index of that name (any other failure is thrown). */
export async function describeIndexOrNull(pc: Pinecone, indexName: string): Promise<IndexModel | null> {
  try {
    return await pc.describeIndex(indexName);
  } catch (err) {
    if ((err as Error)?.name === 'PineconeNotFoundError') return null;
    throw toVectorTuneError(err, `describe index "${indexName}"`, indexName);
  }
}
