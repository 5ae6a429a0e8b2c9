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
import { decodeImage, DecodedImage, type DecodeResult, getSharp } from '../embed/image';
import type { DecodedInput, DecodeRequest, DecodeSetup, FileOutcome, FromDecodeThread } from './decode-protocol';

async function decodeBatch(
  files: string[],
  setup: DecodeSetup,
): Promise<{ outcomes: FileOutcome[]; input: DecodedInput; transfer: ArrayBuffer[] }> {
  const { targetShortSide, maxPixels, preparation } = setup;
  // One file at a time: sharp runs each on libuv's pool, and a batch's files all at once would keep up to four of
  // its threads busy beside the model, whose threads then lose their cores (the pool has as many decode threads as
  // the model leaves cores). A batch still takes far less time than the model spends on one.
  const decoded: DecodeResult[] = [];
  for (const file of files) decoded.push(await decodeImage(file, { maxPixels, targetShortSide }));
  const outcomes = decoded.map((d): FileOutcome => (d.ok ? { ok: true } : { ok: false, reason: d.reason }));
  let images = decoded.flatMap((d) => (d.ok ? [d.image] : []));
  if (preparation) {
    const resized: DecodedImage[] = [];
    for (const [i, img] of images.entries()) resized.push(await resizeForProcessor(img, i, preparation.shortestEdge));
    images = resized;
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
