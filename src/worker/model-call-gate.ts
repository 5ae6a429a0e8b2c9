import type { ClipEncoder } from '../core/embed/clip';
import { MODEL_CALLS, STOPPING } from '../protocol/worker-protocol';

/**
 * The worker's side of WorkerData's cells: every call into onnxruntime (loading, running, releasing a model)
 * goes through `run`, which counts it while it lasts, and never starts once the extension has said it is
 * stopping this thread: the call then never settles, and the thread is terminated between two model calls.
 */
export class ModelCallGate {
  /** Without cells (a worker started by something other than WorkerClient), calls pass straight through. */
  constructor(private readonly cells?: Int32Array) {}

  async run<T>(call: () => Promise<T>): Promise<T> {
    const cells = this.cells;
    if (!cells) return call();
    Atomics.add(cells, MODEL_CALLS, 1);
    if (Atomics.load(cells, STOPPING) !== 0) {
      Atomics.sub(cells, MODEL_CALLS, 1);
      return new Promise<T>(() => undefined);
    }
    try {
      return await call();
    } finally {
      Atomics.sub(cells, MODEL_CALLS, 1);
    }
  }

  /** The encoder with its model calls gated. */
  encoder(encoder: ClipEncoder): ClipEncoder {
    return {
      ...encoder,
      embedPixels: (batch) => this.run(() => encoder.embedPixels(batch)),
      embedImages: (images) => this.run(() => encoder.embedImages(images)),
      embedTexts: (texts) => this.run(() => encoder.embedTexts(texts)),
      dispose: () => this.run(() => encoder.dispose()),
    };
  }
}
