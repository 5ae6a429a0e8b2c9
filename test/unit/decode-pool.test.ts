/**
 * What the decode threads (src/core/ingest/decode-pool.ts, decode-thread.ts) do for embedFiles that decoding on
 * the model's thread cannot: prepare the queued batches while the model blocks its thread (as onnxruntime-node
 * does), hand back decoded images when they cannot make the model's input, leave no thread behind, and turn a
 * failure in a thread into a clear error. Real threads, the generated tiny CLIP and real photos.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { ClipEncoder, PixelBatch } from '../../src/core/embed/clip';
import type { DecodedImage } from '../../src/core/embed/image';
import type { ImageEmbedder } from '../../src/core/embed/encoder';
import { DecodePool, decodeThreadsBeside } from '../../src/core/ingest/decode-pool';
import { embedFiles, EmbedFilesOptions, QueueFill, startDecodePool } from '../../src/core/ingest/embed-files';
import { collect, EmbedFixture, embedFixture, reference, watchUnhandled } from '../helpers/embed-fixture';

let fx: EmbedFixture;
let encoder: ClipEncoder;
let files: string[];

before(async () => {
  fx = await embedFixture();
  ({ encoder, files } = fx);
});

after(() => fx?.dispose());

/** Stands still for `ms`, as onnxruntime-node's synchronous run holds the thread that calls it. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * Threads of this process (Linux): decode threads show here while they run. Not libvips's own workers, which it
 * keeps a while after an image is done.
 */
const osThreads = () =>
  fs
    .readdirSync('/proc/self/task')
    .filter((task) => fs.readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() !== 'libvips worker').length;

describe('decode threads', () => {
  it('take the cores the model leaves, at least one, at most libuv pool size', () => {
    const cases: [number | undefined, number, number][] = [
      [1, 2, 1],
      [2, 2, 1],
      [undefined, 8, 1], // onnxruntime's default: a thread per core
      [4, 8, 4],
      [2, 16, 4],
      [1, 1, 1],
    ];
    for (const [model, cores, expected] of cases)
      assert.equal(decodeThreadsBeside(model, cores), expected, `${model} model threads on ${cores} cores`);
    const before = process.env.UV_THREADPOOL_SIZE;
    process.env.UV_THREADPOOL_SIZE = '8';
    try {
      assert.equal(decodeThreadsBeside(2, 16), 8);
    } finally {
      if (before === undefined) delete process.env.UV_THREADPOOL_SIZE;
      else process.env.UV_THREADPOOL_SIZE = before;
    }
  });

  it('prepare the whole queue while the model blocks its thread, which decoding on that thread cannot', async () => {
    let calls = 0;
    const blocking: ClipEncoder = {
      ...encoder,
      embedPixels: (batch: PixelBatch) => {
        // The first run also gives the thread time to start (up to a second or two on a busy machine).
        block(calls++ === 0 ? 3000 : 400);
        return encoder.embedPixels(batch);
      },
    };
    // Photos only: a batch of nothing but broken files never reaches the model, so nothing blocks during it.
    const photos = files.filter((f) => !fx.broken.has(f));
    const fills = async (options: EmbedFilesOptions) => {
      calls = 0;
      const seen: QueueFill[] = [];
      const run = { batchSize: 2, readAhead: 2, onQueueFill: (q: QueueFill) => seen.push(q), ...options };
      await collect(embedFiles(photos, (f) => f, blocking, run));
      return seen;
    };
    const batches = Math.ceil(photos.length / 2);
    const pooled = await fills({ decodeThreads: 1 });
    assert.equal(pooled.length, batches);
    // From the second batch on, the two batches queued before the model last ran are ready.
    pooled.slice(1).forEach((q, i) => {
      const b = i + 1;
      assert.ok(q.ready >= Math.min(2, batches - b), `batch ${b}: ${JSON.stringify(q)}`);
      assert.ok(q.ready + q.preparing <= 3, `batch ${b}: no more than the queue and the batch asked for`);
    });
    const ready = (qs: QueueFill[]) => qs.slice(1).reduce((n, q) => n + q.ready, 0);
    const here = await fills({ decodeThreads: 0 });
    assert.ok(
      ready(here) < ready(pooled),
      `on the model's thread: ${ready(here)} ready, ${ready(pooled)} with a thread`,
    );
  });

  it('start while the model thread prepares the first batch itself; they prepare the others', async () => {
    const madeHere: number[] = [];
    const madeByThreads: number[] = [];
    const watched: ClipEncoder = {
      ...encoder,
      preprocessImages: (images) => (madeHere.push(images.length), encoder.preprocessImages(images)),
      pixelBatchOf: (pixels, count) => (madeByThreads.push(count), encoder.pixelBatchOf(pixels, count)),
    };
    const photos = files.filter((f) => !fx.broken.has(f));
    await collect(embedFiles(photos, (f) => f, watched, { decodeThreads: 1, batchSize: 4 }));
    assert.deepEqual(madeHere, [4]);
    assert.deepEqual(madeByThreads, [4, 4, photos.length - 12]);
  });

  it('send decoded images back when they cannot make the model input, for the model thread to preprocess', async () => {
    // An encoder other than CLIP: decoded images in, one number per channel out.
    const seen = new Map<string, DecodedImage[]>();
    const meanColour = (key: string): ImageEmbedder => ({
      modelId: 'mean-colour',
      dimension: 3,
      imageSize: 224,
      embedImages: async (images) => {
        seen.set(key, [...(seen.get(key) ?? []), ...images]);
        return images.map((img) => {
          const sum = [0, 0, 0];
          img.data.forEach((v, i) => (sum[i % 3] += v));
          return Float32Array.from(sum);
        });
      },
    });
    await collect(embedFiles(files, (f) => f, meanColour('threads'), { decodeThreads: 1, batchSize: 4 }));
    await collect(embedFiles(files, (f) => f, meanColour('here'), { decodeThreads: 0, batchSize: 4 }));
    assert.equal(seen.get('threads')!.length, files.length - fx.broken.size);
    assert.deepEqual(seen.get('threads'), seen.get('here'));

    // CLIP with a processor the threads do not reproduce: its own preprocessing runs on the model's thread.
    const unreproduced: ClipEncoder = { ...encoder, pixelPreparation: undefined };
    const expected = await reference(encoder, files, 4);
    const got = await collect(embedFiles(files, (f) => f, unreproduced, { decodeThreads: 1, batchSize: 4 }));
    assert.deepEqual(
      got.map((b) => b.embedded),
      expected.map((b) => b.embedded),
    );
  });

  it('are gone when embedFiles returns, whether it finished, was stopped or failed', async () => {
    await collect(embedFiles(files.slice(0, 2), (f) => f, encoder, { decodeThreads: 0 })); // libuv's pool started
    const baseline = osThreads();
    let during = 0;
    const counting: ClipEncoder = {
      ...encoder,
      embedPixels: (batch) => ((during = Math.max(during, osThreads())), encoder.embedPixels(batch)),
    };
    await collect(embedFiles(files, (f) => f, counting, { decodeThreads: 2, batchSize: 4 }));
    assert.ok(during > baseline, `decode threads ran beside this one (${during} threads, ${baseline} before)`);
    assert.equal(osThreads(), baseline, 'finished');

    for await (const _ of embedFiles(files, (f) => f, encoder, { decodeThreads: 2, batchSize: 2 })) break;
    assert.equal(osThreads(), baseline, 'stopped by its caller after one batch');

    const failing: ClipEncoder = { ...encoder, embedPixels: () => Promise.reject(new Error('model failed')) };
    await assert.rejects(collect(embedFiles(files, (f) => f, failing, { decodeThreads: 2 })), /model failed/);
    assert.equal(osThreads(), baseline, 'failed');
  });

  it('started by the caller ahead of time (as indexFolder does) are used, and left for the caller to close', async () => {
    const pool = startDecodePool(encoder, { decodeThreads: 1 });
    assert.ok(pool, 'one decode thread asked for');
    try {
      const batches: number[] = [];
      const counting: ClipEncoder = { ...encoder, embedPixels: (p) => (batches.push(1), encoder.embedPixels(p)) };
      const first = await collect(embedFiles(files, (f) => f, counting, { decodePool: pool, batchSize: 4 }));
      const second = await collect(embedFiles(files, (f) => f, counting, { decodePool: pool, batchSize: 4 }));
      // Reasons are left out: libvips words a damaged JPEG differently on the first batch, made on this thread.
      const outline = (run: typeof first) =>
        run.map((b) => ({ embedded: b.embedded, skipped: b.skipped.map((x) => x.item) }));
      assert.deepEqual(outline(second), outline(first), 'the pool still worked after the first run ended');
      assert.ok(batches.length >= 2);
      assert.deepEqual(await pool.decode([fx.tmp + '/no-such-file.jpg']).then((b) => b.outcomes[0].ok), false);
    } finally {
      await pool.close();
    }
    assert.equal(startDecodePool(encoder, { decodeThreads: 0 }), undefined, 'no threads asked for, none started');
  });

  it('turn a failure inside a thread into an error naming it, at that batch, and refuse work once closed', async () => {
    const recipe = encoder.pixelPreparation!.recipe;
    const broken = {
      targetShortSide: 224,
      maxPixels: undefined,
      preparation: { shortestEdge: -5, recipe },
      filesAtOnce: 1,
    };
    const pool = new DecodePool(1, broken);
    try {
      await assert.rejects(pool.decode(files.slice(0, 2)), /Expected positive integer .* for width but received -\d+/);
      const bad = await pool.decode([fx.tmp + '/no-such-file.jpg']); // bad files are outcomes, not failures
      assert.match(bad.outcomes[0].ok ? '' : bad.outcomes[0].reason, /cannot read file \(ENOENT\)/);
    } finally {
      await pool.close();
    }
    await assert.rejects(pool.decode(files.slice(0, 1)), /the decode threads were stopped/);

    // Through embedFiles: the run fails with the thread's message, and nothing is left unhandled.
    const misprepared: ClipEncoder = { ...encoder, pixelPreparation: broken.preparation };
    const unhandled = await watchUnhandled(() =>
      assert.rejects(
        collect(embedFiles(files, (f) => f, misprepared, { decodeThreads: 1 })),
        /for width but received -\d+/,
      ),
    );
    assert.deepEqual(unhandled, []);
  });
});
