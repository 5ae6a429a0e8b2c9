import type { ImageEmbedder } from '../embed/encoder';
import { decodeImage, DecodedImage } from '../embed/image';

export interface EmbedFilesOptions {
  batchSize?: number;
  /** Images with more pixels than this are skipped unread (decompression bombs). */
  maxPixels?: number;
  signal?: AbortSignal;
  /**
   * Batches read, decoded and preprocessed ahead of the one the model is running on. Default 0: each batch is
   * prepared when the model is ready for it. See embedFiles for what reading ahead gains, and why it is off.
   */
  readAhead?: number;
}

export interface EmbeddedBatch<T> {
  embedded: { item: T; vector: Float32Array }[];
  skipped: { item: T; reason: string }[];
}

/**
 * An embedder that can turn images into the model's input separately from running the model (the CLIP
 * encoder can), so the next batch's input is made before the model is busy with the current one.
 */
interface StagedImageEmbedder<Input> extends ImageEmbedder {
  preprocessImages(images: DecodedImage[]): Promise<Input>;
  embedPixels(input: Input): Promise<Float32Array[]>;
}

function isStaged(embedder: ImageEmbedder): embedder is StagedImageEmbedder<unknown> {
  const e = embedder as Partial<StagedImageEmbedder<unknown>>;
  return typeof e.preprocessImages === 'function' && typeof e.embedPixels === 'function';
}

/** A batch whose files are decoded (and, for a staged embedder, whose model input is made), but not yet embedded. */
interface PreparedBatch<T> {
  good: T[];
  skipped: { item: T; reason: string }[];
  embed: () => Promise<Float32Array[]>;
}

/**
 * Decodes and embeds files batch by batch, yielding after each batch so callers can commit, report progress
 * or stop. Files that fail to decode are reported with their reason and the run goes on. Stops early (before
 * the next batch) when the signal is aborted.
 *
 * With `readAhead`: onnxruntime-node runs the model synchronously on this thread, so no JavaScript can run
 * beside it. What can: file reads and sharp's decoding and resizing, which run on libuv's thread pool. So the
 * next `readAhead` batches are started before the model runs on the current one, and their native work
 * proceeds on the cores the model leaves idle. Vectors still come out in input order.
 *
 * A decode is a chain of native steps (open, stat, read, close, header, pixels; then a resize), and each step
 * is started from this thread when the one before it ends: while the model blocks the thread, every chain
 * moves one step at most. Hence several batches ahead, not one: a batch started k model runs before its turn
 * has had k steps done in the model's shadow.
 *
 * It is off by default. Measured with ViT-B/32 shapes on 2 cores (bench/indexing, 6 batches of 8 ahead), it
 * took CIFAR-10's 32 px images from 88.6% to 91.2% of the model alone under onnxruntime's default threads, and
 * gained nothing measurable on 256 px photos or under the worker's single thread. And it keeps the thread
 * inside onnxruntime nearly all the time, where terminating a worker thread (WorkerClient.terminateWorker)
 * aborts the whole process: onnxruntime-node cannot return into a terminating thread. A caller in its own
 * process (the CLI) can turn it on safely.
 */
export async function* embedFiles<T>(
  items: T[],
  fileOf: (item: T) => string,
  embedder: ImageEmbedder,
  options: EmbedFilesOptions = {},
): AsyncGenerator<EmbeddedBatch<T>> {
  const batchSize = options.batchSize ?? 8;
  const readAhead = options.readAhead ?? 0;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(readAhead) || readAhead < 0)
    throw new Error(`read-ahead must be a whole number of batches, got ${readAhead}`);

  const prepare = async (batch: T[]): Promise<PreparedBatch<T>> => {
    const decoded = await Promise.all(
      batch.map((item) =>
        decodeImage(fileOf(item), { maxPixels: options.maxPixels, targetShortSide: embedder.imageSize }),
      ),
    );
    const good: T[] = [];
    const images: DecodedImage[] = [];
    const skipped: { item: T; reason: string }[] = [];
    decoded.forEach((d, j) => {
      if (d.ok) {
        good.push(batch[j]);
        images.push(d.image);
      } else skipped.push({ item: batch[j], reason: d.reason });
    });
    if (images.length === 0) return { good, skipped, embed: async () => [] };
    if (!isStaged(embedder)) return { good, skipped, embed: () => embedder.embedImages(images) };
    const input = await embedder.preprocessImages(images);
    return { good, skipped, embed: () => embedder.embedPixels(input) };
  };

  const inFlight: Promise<PreparedBatch<T>>[] = [];
  let started = 0;
  const startUpTo = (end: number) => {
    for (; started < end && started * batchSize < items.length; started++) {
      const prepared = prepare(items.slice(started * batchSize, (started + 1) * batchSize));
      // Awaited in turn below; until then a failure must not count as an unhandled rejection (which ends the
      // process), nor may it be lost if the caller stops early.
      prepared.catch(() => undefined);
      inFlight.push(prepared);
    }
  };

  try {
    for (let b = 0; b * batchSize < items.length; b++) {
      if (options.signal?.aborted) return;
      startUpTo(b + 1);
      const current = await inFlight.shift()!;
      if (options.signal?.aborted) return;
      startUpTo(b + 1 + readAhead); // before the model blocks this thread, so their reads and decodes run meanwhile
      const vectors = await current.embed();
      yield { embedded: current.good.map((item, j) => ({ item, vector: vectors[j] })), skipped: current.skipped };
    }
  } finally {
    // Stopped early (abort, a failure, a caller that breaks off): let the batches read ahead finish, so that
    // nothing started here still runs when this returns and the caller releases the model or the files.
    await Promise.allSettled(inFlight);
  }
}
