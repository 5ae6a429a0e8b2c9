/**
 * The Vector Tune worker: a worker_threads thread in the extension host that owns the engine (CLIP model,
 * store, open head), so embedding and training never block the editor. The extension talks to it through
 * src/extension/worker-client.ts with the messages of src/protocol/worker-protocol.ts.
 *
 * Bundled by esbuild to dist/worker.js (CommonJS); sharp, onnxruntime-node and transformers.js stay external
 * and load from the extension's node_modules inside this thread.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerData } from '../protocol/worker-protocol';
import { Engine } from './engine';
import { ModelCallGate } from './model-call-gate';
import { RequestServer } from './request-server';
import { forwardConsole, SecretMask, WorkerLog } from './worker-log';

function main(): void {
  if (isMainThread || !parentPort) {
    throw new Error('dist/worker.js is the Vector Tune worker thread; start it with new Worker(...), not node.');
  }
  const port = parentPort;
  const mask = new SecretMask();
  const send = (message: FromWorker) => port.postMessage(mask.outgoing(message));
  const log: WorkerLog = (level, message) => send({ kind: 'log', level, message });
  forwardConsole(log);
  const { modelCalls } = (workerData ?? {}) as Partial<WorkerData>;
  const gate = new ModelCallGate(modelCalls && new Int32Array(modelCalls));
  const server = new RequestServer(new Engine(log, gate).handlers(), send, log);
  port.on('message', (message: ToWorker) => {
    mask.observe(message);
    server.receive(message);
  });
}

main();
