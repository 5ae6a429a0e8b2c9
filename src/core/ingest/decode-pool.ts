/**
 * Threads that read, decode, resize and preprocess images beside the thread that runs the model (see
 * embedFiles for why): a batch of files in, the model's input out (decode-protocol.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { getSharp } from '../embed/image';
import type { DecodedInput, DecodeRequest, DecodeSetup, FileOutcome, FromDecodeThread } from './decode-protocol';

/**
 * How many decode threads to start beside a model running on `modelThreads` threads: the cores it leaves, at
 * least one. onnxruntime's default (undefined here) is a thread per physical core, which Node cannot tell from
 * logical ones, so it counts as all of them. At most libuv's pool size: sharp's native work for every thread
 * of the process runs on that pool, and more threads than it has would only wait for it.
 */
export function decodeThreadsBeside(modelThreads: number | undefined, cores = os.availableParallelism()): number {
  const libuvPool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.min(libuvPool, Math.max(1, cores - (modelThreads ?? cores)));
}

export interface DecodedBatch {
  outcomes: FileOutcome[];
  input: DecodedInput;
}

interface Waiter {
  resolve(batch: DecodedBatch): void;
  reject(err: Error): void;
}

interface PoolThread {
  worker: Worker;
  pending: Map<number, Waiter>;
  /** Why it no longer answers: its pending and later batches fail with this. */
  stopped?: Error;
}

export class DecodePool {
  private readonly threads: PoolThread[];
  private nextId = 1;
  private closing = false;

  constructor(size: number, setup: DecodeSetup) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a decode pool needs at least one thread, got ${size}`);
    // sharp's advice for worker threads on glibc: load it in the thread that outlives them, so that libvips is
    // not unloaded under the others when one exits.
    getSharp();
    this.threads = Array.from({ length: size }, () => this.start(setup));
  }

  /** Decodes the files on the least busy thread. Bad files are outcomes; a rejection means the thread failed. */
  decode(files: string[]): Promise<DecodedBatch> {
    if (this.closing) return Promise.reject(new Error('the decode threads were stopped'));
    const stopped = this.threads.find((t) => t.stopped)?.stopped;
    if (stopped) return Promise.reject(stopped);
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<DecodedBatch>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref(); // a process waiting for a batch must not exit for lack of other work
      thread.worker.postMessage({ id, files } satisfies DecodeRequest);
    });
  }

  /**
   * Stops the threads. Batches still pending fail; callers let theirs settle first. Terminating is safe here, as
   * it is not for the model's thread: no onnxruntime runs in a decode thread, and sharp stops cleanly.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private start(setup: DecodeSetup): PoolThread {
    const worker = startDecodeThread(setup);
    const thread: PoolThread = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (message: FromDecodeThread) => {
      const waiter = thread.pending.get(message.id);
      if (!waiter) return;
      thread.pending.delete(message.id);
      if (thread.pending.size === 0) worker.unref();
      if (message.kind === 'decoded') waiter.resolve({ outcomes: message.outcomes, input: message.input });
      else waiter.reject(new Error(message.message));
    });
    worker.on('error', (err) => this.stop(thread, new Error(`a decode thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) =>
      this.stop(
        thread,
        new Error(this.closing ? 'the decode threads were stopped' : `a decode thread stopped (exit code ${code})`),
      ),
    );
    return thread;
  }

  private stop(thread: PoolThread, error: Error): void {
    thread.stopped ??= error;
    for (const waiter of thread.pending.values()) waiter.reject(thread.stopped);
    thread.pending.clear();
    thread.worker.unref();
  }
}

/** dist/decode-thread.js beside the bundle that runs this; from the TypeScript sources, decode-thread.ts. */
function startDecodeThread(setup: DecodeSetup): Worker {
  // No execArgv: the starting process's own flags (an inspector port, a loader) are not for this thread.
  const options = { workerData: setup, execArgv: [] };
  const bundled = path.join(__dirname, 'decode-thread.js');
  if (fs.existsSync(bundled)) return new Worker(bundled, options);
  const source = path.join(__dirname, 'decode-thread.ts');
  if (!fs.existsSync(source)) throw new Error(`the decode thread's script is missing: ${bundled}`);
  // Tests and benchmarks run the sources through tsx, whose loader a worker thread does not inherit and whose
  // entry cannot be a .ts file: the thread registers tsx itself.
  const tsx = require.resolve('tsx/cjs/api');
  const code = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`;
  return new Worker(code, { ...options, eval: true });
}
