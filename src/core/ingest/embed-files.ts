import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PixelPreparation } from '../embed/clip-tensors';
import type { ImageEmbedder } from '../embed/encoder';
import { decodeImage, DecodedImage } from '../embed/image';
import { DecodePool, decodeThreadsBeside } from './decode-pool';

export interface EmbedFilesOptions {
  batchSize?: number;
  /** Images with more pixels than this are skipped unread (decompression bombs). */
  maxPixels?: number;
  signal?: AbortSignal;
  /**
   * Threads that read, decode and preprocess beside the thread that runs the model. Default: the cores the
   * model leaves, at least one (decodeThreadsBeside). 0: all of it on this thread, between model runs.
   */
  decodeThreads?: number;
  /**
   * Batches prepared ahead of the one the model is running on: the queue of model input, ready or being made.
   * Default DECODE_QUEUE_BATCHES with decode threads, 0 without them (see embedFiles).
   */
  readAhead?: number;
  /** Called each time the model takes a batch, with the state of the batches queued behind it. */
  onQueueFill?: (fill: QueueFill) => void;
  /** Files each decode thread decodes at once (default DECODE_FILES_AT_ONCE). */
  decodeFilesAtOnce?: number;
  /**
   * Decode threads the caller started earlier (startDecodePool), so that their start overlaps its own work; they
   * are used instead of `decodeThreads`, and the caller closes them.
   */
  decodePool?: DecodePool;
}

/** The queue when the model asks for its next batch (that batch included). */
export interface QueueFill {
  /** Batches whose model input is ready. */
  ready: number;
  /** Batches still being read, decoded or preprocessed. */
  preparing: number;
}

/**
 * The queue's default length with decode threads. Its memory is that many batches of model input (batch x 3 x
 * 224 x 224 float32: 4.8 MB for 8 images at 224 px, so about 19 MB) beside the batch the model holds. Two would
 * do when decoding keeps up; the others absorb a slow file or a busy machine (bench/indexing: the queue's fill).
 */
export const DECODE_QUEUE_BATCHES = 4;

/**
 * Files a decode thread decodes at once. sharp runs each on one of libuv's threads: a batch's files all at once
 * would keep up to four threads busy beside the model, whose threads then lose their cores (there are as many decode
 * threads as cores the model leaves). One at a time, a batch still takes far less than the model spends on it.
 * bench/indexing measures other values side by side (`--pipelines pool,pool-x4`).
 */
export const DECODE_FILES_AT_ONCE = 1;

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

/** A staged embedder whose model input the decode threads can make themselves (CLIP, with CLIP's processor). */
interface PreparingEmbedder<Input> extends StagedImageEmbedder<Input> {
  readonly pixelPreparation: PixelPreparation;
  pixelBatchOf(pixels: Float32Array, count: number): Input;
}

function preparationOf(embedder: ImageEmbedder): PreparingEmbedder<unknown> | undefined {
  const e = embedder as Partial<PreparingEmbedder<unknown>>;
  return isStaged(embedder) && e.pixelPreparation && typeof e.pixelBatchOf === 'function'
    ? (embedder as PreparingEmbedder<unknown>)
    : undefined;
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
 * the next batch) when the signal is aborted. Vectors come out in input order.
 *
 * onnxruntime-node runs the model synchronously on this thread: while it runs, this thread's event loop
 * stands still. So by default the reading, decoding, resizing and preprocessing happen on decode threads
 * (DecodePool), which keep `readAhead` batches of model input queued (transferred, not copied): this thread
 * only runs the model and hands the vectors on.
 *
 * With `decodeThreads: 0` it is done here instead. Then only native work (file reads, sharp's decoding and
 * resizing on libuv's pool) can overlap the model, and every decode is a chain of such steps started one by one
 * from this thread, so a chain moves one step per model run: `readAhead` batches are started before the model
 * runs, to give them several runs' worth of steps. The rest of each decode (about 1 ms an image) and the
 * preprocessing then run between model calls. bench/indexing compares the two.
 */
export async function* embedFiles<T>(
  items: T[],
  fileOf: (item: T) => string,
  embedder: ImageEmbedder,
  options: EmbedFilesOptions = {},
): AsyncGenerator<EmbeddedBatch<T>> {
  const batchSize = options.batchSize ?? 8;
  const decodeThreads = options.decodeThreads ?? decodeThreadsBeside(undefined);
  const readAhead = options.readAhead ?? (decodeThreads > 0 ? DECODE_QUEUE_BATCHES : 0);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(readAhead) || readAhead < 0)
    throw new Error(`read-ahead must be a whole number of batches, got ${readAhead}`);
  if (!Number.isInteger(decodeThreads) || decodeThreads < 0)
    throw new Error(`decode threads must be a whole number, got ${decodeThreads}`);
  if (items.length === 0 || options.signal?.aborted) return;

  const pool = options.decodePool ?? startDecodePool(embedder, { ...options, decodeThreads });
  // The first batch is prepared on this thread even with decode threads: starting them (a thread, libvips
  // loaded into it) takes longer than decoding one batch, and happens meanwhile.
  const prepare = (batch: T[], index: number): Promise<PreparedBatch<T>> =>
    pool && index > 0
      ? prepareOnPool(pool, batch, fileOf, embedder)
      : prepareHere(batch, fileOf, embedder, options.maxPixels);

  const inFlight: { prepared: Promise<PreparedBatch<T>>; settled: boolean }[] = [];
  let started = 0;
  const startUpTo = (end: number) => {
    for (; started < end && started * batchSize < items.length; started++) {
      const batch = items.slice(started * batchSize, (started + 1) * batchSize);
      const entry = { prepared: prepare(batch, started), settled: false };
      // Awaited in turn below; until then a failure must not count as an unhandled rejection (which ends the
      // process), nor may it be lost if the caller stops early.
      entry.prepared.then(
        () => (entry.settled = true),
        () => (entry.settled = true),
      );
      inFlight.push(entry);
    }
  };

  try {
    for (let b = 0; b * batchSize < items.length; b++) {
      if (options.signal?.aborted) return;
      // Decode threads get the whole queue at once; on this thread, the batches ahead are started only once the
      // current one is in hand, so that they do not hold it up.
      startUpTo(b + 1 + (pool ? readAhead : 0));
      // One turn of the event loop takes in the decode threads' answers that came while the model ran.
      await nextTurn();
      const ready = inFlight.filter((e) => e.settled).length;
      options.onQueueFill?.({ ready, preparing: inFlight.length - ready });
      const current = await inFlight.shift()!.prepared;
      if (options.signal?.aborted) return;
      startUpTo(b + 1 + readAhead); // before the model blocks this thread, so their reads and decodes run meanwhile
      const vectors = await current.embed();
      yield { embedded: current.good.map((item, j) => ({ item, vector: vectors[j] })), skipped: current.skipped };
    }
  } finally {
    // Stopped early (abort, a failure, a caller that breaks off): let the batches read ahead finish, so that
    // nothing started here still runs when this returns and the caller releases the model or the files.
    await Promise.allSettled(inFlight.map((e) => e.prepared));
    if (!options.decodePool) await pool?.close();
  }
}

/**
 * The decode threads embedFiles starts for these options (none with `decodeThreads: 0`), for a caller that starts
 * them itself ahead of time and passes them as `decodePool`: starting a thread and loading libvips into it takes
 * longer than decoding a batch, and indexFolder walks and hashes the folder meanwhile. The caller closes them.
 */
export function startDecodePool(
  embedder: ImageEmbedder,
  options: Pick<EmbedFilesOptions, 'decodeThreads' | 'maxPixels' | 'decodeFilesAtOnce'>,
): DecodePool | undefined {
  const threads = options.decodeThreads ?? decodeThreadsBeside(undefined);
  if (threads === 0) return undefined;
  const filesAtOnce = options.decodeFilesAtOnce ?? DECODE_FILES_AT_ONCE;
  if (!Number.isInteger(filesAtOnce) || filesAtOnce < 1)
    throw new Error(`files decoded at once must be a whole number from 1, got ${filesAtOnce}`);
  return new DecodePool(threads, {
    targetShortSide: embedder.imageSize,
    maxPixels: options.maxPixels,
    preparation: preparationOf(embedder)?.pixelPreparation,
    filesAtOnce,
  });
}

/** Decodes and preprocesses a batch on this thread (libuv's pool doing sharp's native work). */
async function prepareHere<T>(
  batch: T[],
  fileOf: (item: T) => string,
  embedder: ImageEmbedder,
  maxPixels: number | undefined,
): Promise<PreparedBatch<T>> {
  const decoded = await Promise.all(
    batch.map((item) => decodeImage(fileOf(item), { maxPixels, targetShortSide: embedder.imageSize })),
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
}

/** Has a decode thread read, decode and (when it can) preprocess a batch. */
async function prepareOnPool<T>(
  pool: DecodePool,
  batch: T[],
  fileOf: (item: T) => string,
  embedder: ImageEmbedder,
): Promise<PreparedBatch<T>> {
  const { outcomes, input } = await pool.decode(batch.map(fileOf));
  const good = batch.filter((_, j) => outcomes[j].ok);
  const skipped = outcomes.flatMap((o, j) => (o.ok ? [] : [{ item: batch[j], reason: o.reason }]));
  if (good.length === 0) return { good, skipped, embed: async () => [] };
  if ('pixels' in input) {
    const preparing = preparationOf(embedder)!; // the pool makes pixels only for such an embedder
    return { good, skipped, embed: () => preparing.embedPixels(preparing.pixelBatchOf(input.pixels, good.length)) };
  }
  return { good, skipped, embed: () => embedder.embedImages(input.images) };
}
