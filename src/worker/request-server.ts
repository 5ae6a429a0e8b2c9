import { problemFirst, VectorTuneError } from '../core/errors';
import type { RpcError } from '../protocol/rpc';
import type { FromWorker, ToWorker, WorkerProtocol } from '../protocol/worker-protocol';
import { throttleProgress } from './progress-throttle';
import type { Handlers, RequestContext } from './request-context';
import { CancelledError, ModelUnavailableError, throwIfCancelled } from './worker-errors';
import { shortMessage, WorkerLog } from './worker-log';

type AnyHandler = (params: unknown, context: RequestContext) => Promise<unknown>;

/**
 * Requests that may run at once with the queue. storeInfo only reads the store's manifest (committed state),
 * so it can answer while an index run is in progress; everything else reads or writes the store or the open
 * head and waits its turn.
 */
const UNQUEUED: ReadonlySet<keyof WorkerProtocol> = new Set(['storeInfo']);

/**
 * The worker's side of the protocol: turns request messages into handler calls and their outcomes into
 * response messages. Handlers that touch the store or the head run strictly one after another in arrival
 * order, so a nextBatch can never see a half-applied submit. Each request has an AbortController that a
 * cancel message (or a dispose) aborts.
 */
export class RequestServer {
  private readonly controllers = new Map<number, AbortController>();
  /** The end of the queue: each queued handler starts when the previous one has settled. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly handlers: Handlers,
    private readonly send: (message: FromWorker) => void,
    private readonly log: WorkerLog,
  ) {}

  receive(message: ToWorker): void {
    if (message?.kind === 'cancel') {
      this.controllers.get(message.id)?.abort(new CancelledError());
    } else if (message?.kind === 'request') {
      void this.handle(message.id, message.method, message.params);
    } else {
      this.log('warn', `Ignored a message the worker does not understand: ${JSON.stringify(message)?.slice(0, 200)}`);
    }
  }

  private async handle(id: number, method: keyof WorkerProtocol, params: unknown): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(id, controller);
    if (method === 'dispose') this.abortAllBut(id);
    try {
      const handler = this.handlers[method] as AnyHandler | undefined;
      if (typeof handler !== 'function') throw new Error(`unknown method "${String(method)}"`);
      const context: RequestContext = {
        signal: controller.signal,
        progress: throttleProgress((p) => this.post({ kind: 'progress', id, ...p })),
      };
      const run = () => {
        throwIfCancelled(controller.signal); // cancelled while it waited in the queue
        return handler(params, context);
      };
      const result = UNQUEUED.has(method) ? await run() : await this.enqueue(run);
      this.respond({ kind: 'response', id, ok: true, result } as FromWorker, method);
    } catch (err) {
      this.post({ kind: 'response', id, ok: false, error: this.describeFailure(method, err) });
    } finally {
      this.controllers.delete(id);
    }
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Shutting down: running and queued requests stop at their next safe point instead of holding up dispose. */
  private abortAllBut(id: number): void {
    for (const [other, controller] of this.controllers) {
      if (other !== id) controller.abort(new CancelledError('Vector Tune is shutting down.'));
    }
  }

  private describeFailure(method: string, err: unknown): RpcError {
    if (err instanceof CancelledError) return { message: err.message, userError: true };
    // Not logged here: the extension logs what it shows (logging it here too wrote every error twice).
    if (err instanceof ModelUnavailableError) return { message: err.message, userError: true, topic: 'model' };
    if (err instanceof VectorTuneError) return { message: problemFirst(err), userError: true };
    // A bug: the whole stack goes to the log, a short line to the notification.
    this.log('error', `${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return {
      message: `Internal error in ${method}: ${shortMessage(err)} (see the Vector Tune log).`,
      userError: false,
    };
  }

  /** A result that cannot be cloned (a bug) must still answer the request, or the caller would wait forever. */
  private respond(message: FromWorker, method: string): void {
    try {
      this.send(message);
    } catch (err) {
      this.post({
        kind: 'response',
        id: (message as { id: number }).id,
        ok: false,
        error: this.describeFailure(method, err),
      });
    }
  }

  private post(message: FromWorker): void {
    try {
      this.send(message);
    } catch (err) {
      // Nothing more can be sent about this request; the log line is the last resort.
      this.log('error', `Could not send a ${message.kind} message: ${shortMessage(err)}`);
    }
  }
}
