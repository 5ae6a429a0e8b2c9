import type { Method, Params, Result } from '../protocol/rpc';
import type { WorkerProtocol } from '../protocol/worker-protocol';

/** What a handler gets besides its parameters. */
export interface RequestContext {
  /** Aborted when the caller cancels the request or the worker is disposed. */
  signal: AbortSignal;
  /** Reports progress of a long request; throttled by the server, so call it as often as is natural. */
  progress(update: { done: number; total: number; message: string }): void;
}

/** One handler per protocol method, typed by the protocol map. */
export type Handlers = {
  [M in Method<WorkerProtocol>]: (
    params: Params<WorkerProtocol, M>,
    context: RequestContext,
  ) => Promise<Result<WorkerProtocol, M>>;
};
