/**
 * A decode thread (started by decode-pool.ts): reads, decodes and resizes the files of each batch it is sent
 * and makes the model's input from them, so that the thread that runs the model does nothing else. Batches
 * are worked on as they arrive (the model's thread bounds how many are outstanding); each answer transfers
 * its buffers, so nothing is copied on the receiving side.
 *
 * Bundled to dist/decode-thread.js beside the CLI and the engine worker that start it.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fitsRecipe, pixelsOf, resizeForProcessor } from '../embed/clip-tensors';
import { decodeImage, DecodedImage, getSharp } from '../embed/image';
import type { DecodedInput, DecodeRequest, DecodeSetup, FileOutcome, FromDecodeThread } from './decode-protocol';

async function decodeBatch(
  files: string[],
  setup: DecodeSetup,
): Promise<{ outcomes: FileOutcome[]; input: DecodedInput; transfer: ArrayBuffer[] }> {
  const { targetShortSide, maxPixels, preparation, filesAtOnce } = setup;
  const decoded = await inGroups(files, filesAtOnce, (file) => decodeImage(file, { maxPixels, targetShortSide }));
  const outcomes = decoded.map((d): FileOutcome => (d.ok ? { ok: true } : { ok: false, reason: d.reason }));
  let images = decoded.flatMap((d) => (d.ok ? [d.image] : []));
  if (preparation) {
    images = await inGroups(images, filesAtOnce, (img, i) => resizeForProcessor(img, i, preparation.shortestEdge));
    if (images.every((img) => fitsRecipe(preparation.recipe, img))) {
      const pixels = pixelsOf(preparation.recipe, images);
      return { outcomes, input: { pixels }, transfer: [pixels.buffer as ArrayBuffer] };
    }
  }
  // sharp's buffers may be views of memory it owns, which cannot be transferred: copy them here, where it
  // costs the model nothing.
  const own = images.map((img): DecodedImage => ({ ...img, data: new Uint8Array(img.data) }));
  return { outcomes, input: { images: own }, transfer: own.map((img) => img.data.buffer as ArrayBuffer) };
}

/** `work` on every item (with its index), `size` at a time, results in order. */
async function inGroups<T, R>(items: T[], size: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map((item, j) => work(item, i + j)))));
  return out;
}

function main(): void {
  if (isMainThread || !parentPort) throw new Error('decode-thread is started by DecodePool, as a worker thread.');
  const port = parentPort;
  const setup = workerData as DecodeSetup;
  const send = (message: FromDecodeThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  getSharp(); // libvips is loaded now, while the model's thread prepares the first batch itself
  port.on('message', ({ id, files }: DecodeRequest) => {
    decodeBatch(files, setup).then(
      ({ outcomes, input, transfer }) => send({ kind: 'decoded', id, outcomes, input }, transfer),
      (err: unknown) => send({ kind: 'failed', id, message: err instanceof Error ? err.message : String(err) }),
    );
  });
}

main();
