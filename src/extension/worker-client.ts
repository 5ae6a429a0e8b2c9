/**
 * The extension's handle on the engine worker (dist/worker.js, a worker_threads thread in the extension
 * host). No `vscode` import, so it runs and is tested in plain Node.
 *
 * - `request(method, params, { signal, onProgress })` sends one request of src/protocol/worker-protocol.ts and
 *   resolves with its result, or rejects with an EngineError (`userError` true: show the message as is).
 * - Cancellation is cooperative: aborting the signal sends a cancel message and the promise settles when the
 *   worker answers, so it always tells what the worker really did. A request the worker had not started
 *   rejects with an AbortError. `index` stops after the batch in progress and RESOLVES with its report
 *   (`cancelled: true`): what was embedded is committed, and indexing again resumes from there. Other
 *   requests are short; one already running when the abort arrives finishes and resolves normally.
 * - If the worker stops (a crash, or terminateWorker()), every pending request rejects with an EngineError
 *   saying so; the next request starts a new worker, which is first sent the last configuration and reopens
 *   the head that was open, so the caller carries on where it was.
 */
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Method, Params, Result, RpcError } from '../protocol/rpc';
import {
  type EngineConfig,
  locationChanged,
  type FromWorker,
  type LogMessage,
  MODEL_CALL_CELLS,
  type ToWorker,
  type WorkerData,
  type WorkerProtocol,
} from '../protocol/worker-protocol';
import { maskSecrets } from '../core/util/mask-secret';
import { stopWorker } from './stop-worker';

export type WorkerLogLevel = LogMessage['level'];
/** Receives the worker's log lines (and anything it prints), for the output channel. */
export type WorkerLogSink = (level: WorkerLogLevel, message: string) => void;

export interface WorkerProgress {
  done: number;
  total: number;
  message: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (progress: WorkerProgress) => void;
}

/** A failed request. `userError`: the message says what the user can do; otherwise it is a bug or a crash. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly userError: boolean,
    /** What the failure is about, when its remedy is a known place (RpcError's topic). */
    readonly topic?: RpcError['topic'],
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/**
 * How long dispose waits for the worker to finish its current step and release the model and the store before
 * terminating it (which then still waits for a model call under way: see stopWorker).
 */
const DISPOSE_GRACE_MS = 15_000;

type Outcome = { ok: true; result: unknown } | { ok: false; error: Error };

interface Pending {
  method: string;
  onProgress?: (progress: WorkerProgress) => void;
  /** Sent to the worker (a cancel must then wait for its answer). */
  posted: boolean;
  /** The caller aborted: a failure answer becomes an AbortError. */
  cancelled: boolean;
  settle(outcome: Outcome): void;
}

/** One worker thread and the requests sent to it; a restart makes a new one. */
interface Thread {
  worker: Worker;
  /** WorkerData's cells: the worker's model calls under way, and our intent to stop it. */
  modelCalls: Int32Array;
  pending: Map<number, Pending>;
  /** Requests are posted through this chain, so a restored configuration goes out (and is applied) first. */
  outbox: Promise<void>;
  /** Set when the thread has stopped: the error its pending requests got. */
  stopped?: EngineError;
  /** The client is shutting it down on purpose (dispose). */
  stopping: boolean;
}

export class WorkerClient {
  private thread?: Thread;
  private nextId = 1;
  private disposed = false;
  /** What a restarted worker is sent before anything else. */
  private lastConfig?: EngineConfig;
  private openHeadDir?: string;

  /** API keys sent in `configure`: masked out of every line this client logs (the worker masks its own too). */
  private readonly secrets = new Set<string>();
  private readonly log: WorkerLogSink;

  /** `workerFile`: absolute path of dist/worker.js. */
  constructor(
    private readonly workerFile: string,
    sink: WorkerLogSink,
  ) {
    // Also covers what the worker cannot mask: a crash's stack, and output written past its console.
    this.log = (level, message) => sink(level, maskSecrets(message, [...this.secrets]));
  }

  request<M extends Method<WorkerProtocol>>(
    method: M,
    params: Params<WorkerProtocol, M>,
    options: RequestOptions = {},
  ): Promise<Result<WorkerProtocol, M>> {
    if (this.disposed)
      return Promise.reject(new EngineError('Vector Tune has shut down; reload the window to start it again.', false));
    if (options.signal?.aborted) return Promise.reject(abortError(method));
    let thread: Thread;
    try {
      thread = this.thread ?? this.start();
    } catch (err) {
      return Promise.reject(
        new EngineError(
          `The Vector Tune worker could not start (${err instanceof Error ? err.message : String(err)}).`,
          false,
        ),
      );
    }
    const answer = this.dispatch(thread, method, params, options, true) as Promise<Result<WorkerProtocol, M>>;
    return answer.then((result) => {
      this.remember(method, params, result);
      return result;
    });
  }

  /**
   * Stops the worker thread as a crash would: pending requests reject with the "stopped unexpectedly"
   * EngineError, and the next request starts a fresh worker (configured, its head reopened). For a worker that
   * no longer answers (a restart command or watchdog in the extension) and for tests. At once, unless a model
   * call is under way: that one ends first (see stopWorker).
   */
  async terminateWorker(): Promise<void> {
    if (this.thread) await stopWorker(this.thread.worker, this.thread.modelCalls);
  }

  /** Asks the worker to release the model and the store, then terminates it. Later requests are refused. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const thread = this.thread;
    this.thread = undefined;
    if (!thread || thread.stopped) return;
    thread.stopping = true;
    // The worker aborts whatever is running (an index stops after its batch) before releasing everything.
    const released = this.dispatch(thread, 'dispose', {}, {}, false).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, DISPOSE_GRACE_MS)));
    await Promise.race([released, grace]);
    clearTimeout(timer);
    await stopWorker(thread.worker, thread.modelCalls);
  }

  private start(): Thread {
    // execArgv []: the host's own flags (an inspector port, a TypeScript loader) must not be inherited.
    const modelCalls = new SharedArrayBuffer(MODEL_CALL_CELLS * Int32Array.BYTES_PER_ELEMENT);
    const workerData: WorkerData = { modelCalls };
    const worker = new Worker(this.workerFile, { stdout: true, stderr: true, execArgv: [], workerData });
    const thread: Thread = {
      worker,
      modelCalls: new Int32Array(modelCalls),
      pending: new Map(),
      outbox: Promise.resolve(),
      stopping: false,
    };
    worker.on('message', (message: FromWorker) => this.receive(thread, message));
    worker.on('messageerror', (err) =>
      this.log('error', `A message from the Vector Tune worker could not be read: ${err.message}`),
    );
    worker.on('error', (err) => this.log('error', `The Vector Tune worker failed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => this.stopped(thread, code));
    forwardLines(worker.stdout, (line) => this.log('info', line));
    forwardLines(worker.stderr, (line) => this.log('warn', line));
    worker.unref(); // referenced only while requests are pending: an idle worker never keeps the host alive
    this.thread = thread;
    if (this.lastConfig) thread.outbox = this.restore(thread, this.lastConfig, this.openHeadDir);
    return thread;
  }

  /** Brings a new worker to where the last one was. A failure is logged; the request that follows reports its own. */
  private async restore(thread: Thread, config: EngineConfig, headDir: string | undefined): Promise<void> {
    try {
      await this.dispatch(thread, 'configure', config, {}, false);
      if (headDir) await this.dispatch(thread, 'openHead', { headDir }, {}, false);
      this.log('info', `Restarted the Vector Tune worker${headDir ? ` and reopened the head in ${headDir}` : ''}.`);
    } catch (err) {
      this.log(
        'warn',
        `The restarted Vector Tune worker could not be brought back to its previous state: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Registers a request on `thread` and posts it (after the outbox, or at once). Settles with the worker's answer. */
  private dispatch(
    thread: Thread,
    method: string,
    params: unknown,
    options: RequestOptions,
    afterOutbox: boolean,
  ): Promise<unknown> {
    const id = this.nextId++;
    const key = method === 'configure' ? (params as EngineConfig).pinecone?.apiKey : undefined;
    if (key) this.secrets.add(key);
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => this.cancel(thread, id);
      const pending: Pending = {
        method,
        onProgress: options.onProgress,
        posted: false,
        cancelled: false,
        settle: (outcome) => {
          if (!thread.pending.delete(id)) return;
          options.signal?.removeEventListener('abort', onAbort);
          this.updateRef(thread);
          if (outcome.ok) resolve(outcome.result);
          else reject(outcome.error);
        },
      };
      thread.pending.set(id, pending);
      this.updateRef(thread);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const post = () => this.post(thread, id, { kind: 'request', id, method, params } as ToWorker);
      if (afterOutbox) thread.outbox = thread.outbox.then(post);
      else post();
    });
  }

  private post(thread: Thread, id: number, message: ToWorker): void {
    const pending = thread.pending.get(id);
    if (!pending) return; // settled before its turn (cancelled while waiting, or the thread stopped)
    if (thread.stopped) return pending.settle({ ok: false, error: thread.stopped });
    try {
      thread.worker.postMessage(message);
      pending.posted = true;
    } catch (err) {
      pending.settle({
        ok: false,
        error: new EngineError(
          `Could not send ${pending.method} to the Vector Tune worker: ${err instanceof Error ? err.message : String(err)}`,
          false,
        ),
      });
    }
  }

  private cancel(thread: Thread, id: number): void {
    const pending = thread.pending.get(id);
    if (!pending || pending.cancelled) return;
    pending.cancelled = true;
    if (!pending.posted) return pending.settle({ ok: false, error: abortError(pending.method) });
    if (!thread.stopped) thread.worker.postMessage({ kind: 'cancel', id } satisfies ToWorker);
  }

  private receive(thread: Thread, message: FromWorker): void {
    if (message.kind === 'log') return this.log(message.level, message.message);
    const pending = thread.pending.get(message.id);
    if (!pending) return; // an answer to a request already settled (e.g. its thread was replaced)
    if (message.kind === 'progress') {
      try {
        pending.onProgress?.({ done: message.done, total: message.total, message: message.message });
      } catch (err) {
        this.log(
          'error',
          `A progress listener for ${pending.method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
      return;
    }
    if (message.ok) return pending.settle({ ok: true, result: message.result });
    const error = new EngineError(message.error.message, message.error.userError, message.error.topic);
    pending.settle({ ok: false, error: pending.cancelled ? abortError(pending.method, error) : error });
  }

  private stopped(thread: Thread, code: number): void {
    thread.stopped = thread.stopping
      ? new EngineError('Vector Tune shut down before this request finished.', false)
      : new EngineError(
          `The Vector Tune worker stopped unexpectedly (exit code ${code}); see the Vector Tune log.`,
          false,
        );
    if (this.thread === thread) this.thread = undefined;
    if (!thread.stopping)
      this.log('error', `The Vector Tune worker stopped (exit code ${code}); the next request starts a new one.`);
    for (const pending of [...thread.pending.values()]) pending.settle({ ok: false, error: thread.stopped });
  }

  /** Tracks what a restarted worker needs: the configuration, and the head the caller has open. */
  private remember(method: string, params: unknown, result: unknown): void {
    if (method === 'configure') {
      const config = params as EngineConfig;
      if (locationChanged(this.lastConfig, config)) this.openHeadDir = undefined; // the worker closed it too
      this.lastConfig = config;
    } else if (method === 'startHead') {
      this.openHeadDir = path.dirname((result as Result<WorkerProtocol, 'startHead'>).weightsFile);
    } else if (method === 'openHead') {
      this.openHeadDir = (params as Params<WorkerProtocol, 'openHead'>).headDir;
    }
  }

  private updateRef(thread: Thread): void {
    if (thread.stopped) return;
    if (thread.pending.size > 0) thread.worker.ref();
    else thread.worker.unref();
  }
}

function abortError(method: string, cause?: Error): Error {
  const err = new Error(`The Vector Tune request "${method}" was cancelled.`, cause ? { cause } : undefined);
  err.name = 'AbortError';
  return err;
}

function forwardLines(stream: Readable, write: (line: string) => void): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => line.trim() && write(line));
}
