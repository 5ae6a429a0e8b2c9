import type { Worker } from 'node:worker_threads';
import { MODEL_CALLS, STOPPING } from '../protocol/worker-protocol';

/**
 * How long stopping the worker waits for a model call under way to end: longer than a batch of the largest
 * batch size on a slow machine. A call that runs longer is hung, and is stopped anyway.
 */
const MODEL_CALL_WAIT_MS = 60_000;

/**
 * Terminates the worker thread, but never while onnxruntime runs in it: terminating a thread inside
 * onnxruntime-node aborts the whole extension host (it cannot return into a terminating thread). Once STOPPING
 * is set no model call starts, and the one under way, if any, ends first (`modelCalls`: WorkerData's cells).
 */
export async function stopWorker(worker: Worker, modelCalls: Int32Array): Promise<void> {
  Atomics.store(modelCalls, STOPPING, 1);
  const deadline = Date.now() + MODEL_CALL_WAIT_MS;
  while (Atomics.load(modelCalls, MODEL_CALLS) > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  await worker.terminate();
}
