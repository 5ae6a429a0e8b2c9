import { VectorTuneError } from '../../errors';

/**
 * Turns whatever the SDK threw into a VectorTuneError. Errors raised by our transport (bad key, timeout,
 * retries exhausted) come back wrapped in the SDK's PineconeConnectionError: unwrap them.
 */
export function toVectorTuneError(err: unknown, what: string, indexName: string): VectorTuneError {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof VectorTuneError) return e;
  }
  const e = err as { name?: string; message?: string };
  if (e?.name === 'PineconeNotFoundError') {
    return new VectorTuneError(
      `Pinecone has no index named "${indexName}" (HTTP 404 while trying to ${what}).`,
      undefined,
      'Check the index name and host in the settings, or let Vector Tune create the index.',
    );
  }
  return new VectorTuneError(`Pinecone could not ${what}: ${e?.message ?? String(err)}`);
}
