import { Worker } from 'node:worker_threads';
import { kernelModule } from './search-kernel';

/**
 * Helper threads that run the int8 kernel on slices of the rows, over the same shared WebAssembly memory: the scan
 * is memory-bound, and a second core reads the other half of the rows at the same time. The thread code is a few
 * lines of plain JavaScript given inline, so it works unchanged from tsx, the CLI bundle and the extension's worker.
 */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { crc32 } = require('node:zlib');
let kernel;
let memory;
parentPort.on('message', (m) => {
  if (m.memory) {
    memory = m.memory;
    kernel = new WebAssembly.Instance(m.module, { env: { memory } }).exports;
    return;
  }
  try {
    if (m.crcOf) {
      // In pieces of at most 1 GiB, continuing the running value (as util/hash.ts's crc32 does on one thread).
      let crc = 0;
      for (let at = 0; at < m.crcOf.length; at += 1 << 30) {
        crc = crc32(new Uint8Array(memory.buffer, m.crcOf.offset + at, Math.min(1 << 30, m.crcOf.length - at)), crc);
      }
      parentPort.postMessage({ id: m.id, crc });
      return;
    }
    kernel.dots(m.query, m.rows, m.out, m.count, m.stride);
    parentPort.postMessage({ id: m.id });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});`;

export interface DotsJob {
  query: number;
  rows: number;
  out: number;
  count: number;
  stride: number;
}

export class ScanThreads {
  private readonly threads: Worker[] = [];
  private memory: WebAssembly.Memory | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (crc?: number) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor(readonly size: number) {}

  /** Points every thread at `memory` (after the rows moved to a bigger one). */
  use(memory: WebAssembly.Memory): void {
    if (this.memory === memory) return;
    this.memory = memory;
    for (const t of this.threads) t.postMessage({ memory, module: kernelModule() });
  }

  /** Runs the jobs on the helper threads (one each); rejects if a thread fails or dies. */
  async run(jobs: DotsJob[]): Promise<void> {
    if (this.failure) throw this.failure;
    this.start();
    const done = jobs.map((job, i) => this.send(this.threads[i % this.threads.length], job));
    this.threads.forEach((t) => t.ref()); // an idle pool must not keep a CLI alive; a running scan must
    try {
      await Promise.all(done);
    } finally {
      if (this.pending.size === 0) this.threads.forEach((t) => t.unref());
    }
  }

  /**
   * CRC-32 of bytes [offset, offset + length) of the memory, computed on a helper thread while this one goes on:
   * opening a store checks its search cache's codes this way (embedded-store.ts), off the path that opens it.
   */
  async crc32(offset: number, length: number): Promise<number> {
    if (this.failure) throw this.failure;
    this.start();
    const thread = this.threads[0];
    thread.ref();
    try {
      return (await this.send(thread, { crcOf: { offset, length } })) as number;
    } finally {
      if (this.pending.size === 0) this.threads.forEach((t) => t.unref());
    }
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    threads.forEach((t) => t.removeAllListeners());
    await Promise.all(threads.map((t) => t.terminate()));
  }

  private start(): void {
    while (this.threads.length < this.size) {
      const thread = new Worker(THREAD_SOURCE, { eval: true });
      thread.unref();
      thread.on('message', (m: { id: number; error?: string; crc?: number }) =>
        this.settle(m.id, m.error ? new Error(m.error) : undefined, m.crc),
      );
      thread.on('error', (err) => this.fail(err));
      thread.on('exit', (code) => code !== 0 && this.fail(new Error(`a scan thread exited with code ${code}`)));
      if (this.memory) thread.postMessage({ memory: this.memory, module: kernelModule() });
      this.threads.push(thread);
    }
  }

  private send(thread: Worker, job: DotsJob | { crcOf: { offset: number; length: number } }): Promise<number | void> {
    const id = this.nextId++;
    return new Promise<number | void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      thread.postMessage({ id, ...job });
    });
  }

  private settle(id: number, error?: Error, crc?: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (error) p.reject(error);
    else p.resolve(crc);
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
