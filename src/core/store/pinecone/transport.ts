import { VectorTuneError } from '../../errors';

export interface TransportOptions {
  /** Per-attempt limit in ms: a host that does not answer fails after this (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, timeouts and dropped connections (default 5). */
  maxRetries?: number;
  /** First backoff delay in ms, doubled each retry with ±25 % jitter, capped at 20 s (default 500). */
  baseDelayMs?: number;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The `fetch` the Pinecone SDK is given (its own retries are turned off): one place for the timeout, the
 * retries with exponential backoff (honouring `Retry-After`) and the bad-key error. Every request the
 * adapter sends is idempotent (upsert and update by id, query, fetch, list, delete by id, describe), so
 * replaying one is safe. The API key travels in the `Api-Key` header and is never put in a message.
 */
export function retryingFetch(options: TransportOptions = {}, base: Fetch = globalThis.fetch): Fetch {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 500;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const where = describeUrl(url);
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= maxRetries;
      let response: Response;
      try {
        const signal = init?.signal
          ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
          : AbortSignal.timeout(timeoutMs);
        response = await base(input, { ...init, signal });
      } catch (err) {
        if (init?.signal?.aborted) throw err;
        const timedOut = (err as Error)?.name === 'TimeoutError';
        if (last) {
          throw timedOut
            ? new VectorTuneError(
                `Pinecone did not answer within ${timeoutMs / 1000} s (${where}, ${attempt + 1} attempts).`,
                undefined,
                'Check the network and the index host; the labels are saved, so the round can be retried.',
              )
            : new VectorTuneError(
                `could not reach Pinecone at ${where} (${attempt + 1} attempts): ${causeMessage(err)}.`,
                undefined,
                'Check the network and the index host; the labels are saved, so the round can be retried.',
              );
        }
        await sleep(backoff(attempt, baseDelayMs));
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        throw new VectorTuneError(
          `Pinecone refused the API key (HTTP ${response.status}) at ${where}.`,
          undefined,
          'Set a valid key with "Vector Tune: Set Pinecone API Key", or PINECONE_API_KEY for the command line.',
        );
      }
      if (response.status === 429 || response.status >= 500) {
        if (last) {
          throw new VectorTuneError(
            response.status === 429
              ? `Pinecone kept rate-limiting the requests (HTTP 429 after ${attempt + 1} attempts, ${where}).`
              : `Pinecone failed with HTTP ${response.status} after ${attempt + 1} attempts (${where}).`,
            undefined,
            'The labels are saved; retry the round later.',
          );
        }
        await response.body?.cancel().catch(() => undefined);
        await sleep(Math.max(backoff(attempt, baseDelayMs), retryAfterMs(response)));
        continue;
      }
      return response;
    }
  };
}

function backoff(attempt: number, baseDelayMs: number): number {
  const d = baseDelayMs * 2 ** attempt;
  return Math.min(20_000, d + d * 0.25 * (Math.random() * 2 - 1));
}

function retryAfterMs(response: Response): number {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? Math.min(value, 60) * 1000 : 0;
}

/** Method-less, query-less URL: enough to say where, never the key (which is in a header anyway). */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'Pinecone';
  }
}

function causeMessage(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
