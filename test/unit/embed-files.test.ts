/**
 * embedFiles, the decode -> preprocess -> model loop shared by indexing and ranking, on the generated tiny CLIP
 * (transformers.js and onnxruntime for real) and real photos, both ways it prepares batches: on decode threads
 * beside the model (the default) and on the model's own thread. Preparing batches ahead must not change a
 * single bit of any vector, nor the order, nor which files are skipped; it must stop on abort and report a
 * failure at its own batch. (decode-pool.test.ts covers what only the decode threads do.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ClipEncoder, PixelBatch } from '../../src/core/embed/clip';
import { EmbeddedBatch, embedFiles, EmbedFilesOptions } from '../../src/core/ingest/embed-files';
import { collect, EmbedFixture, embedFixture, reference, watchUnhandled } from '../helpers/embed-fixture';

let fx: EmbedFixture;
let encoder: ClipEncoder;
let files: string[];

before(async () => {
  fx = await embedFixture();
  ({ encoder, files } = fx);
});

after(() => fx?.dispose());

/** Each way of preparing batches: decode threads with a queue, or this thread reading ahead. */
const PIPELINES: { name: string; options: EmbedFilesOptions }[] = [
  { name: 'this thread, nothing ahead', options: { decodeThreads: 0, readAhead: 0 } },
  { name: 'this thread, 1 ahead', options: { decodeThreads: 0, readAhead: 1 } },
  { name: 'this thread, 3 ahead', options: { decodeThreads: 0, readAhead: 3 } },
  { name: '1 decode thread, queue of 1', options: { decodeThreads: 1, readAhead: 1 } },
  { name: '1 decode thread, default queue', options: { decodeThreads: 1 } },
  { name: '2 decode threads, queue of 3', options: { decodeThreads: 2, readAhead: 3 } },
  { name: '1 decode thread, 3 files at once', options: { decodeThreads: 1, decodeFilesAtOnce: 3 } },
];

describe('embedFiles', () => {
  it('gives bit-identical vectors, in input order, and the same skipped files, however batches are prepared', async () => {
    for (const batchSize of [1, 4, 5]) {
      const expected = await reference(encoder, files, batchSize);
      for (const { name, options } of PIPELINES) {
        const got = await collect(embedFiles(files, (f) => f, encoder, { ...options, batchSize }));
        assert.equal(got.length, expected.length, `batch ${batchSize}, ${name}: batches`);
        got.forEach((batch, b) => {
          const where = `batch size ${batchSize}, ${name}, batch ${b}`;
          // Only the reason's fixed beginning: libvips words the detail of a damaged JPEG differently when other
          // damaged files decode at the same time (its error buffer is shared between threads).
          const skips = (bb: EmbeddedBatch<string>) =>
            bb.skipped.map((s) => ({ item: s.item, reason: s.reason.split(' (')[0] }));
          assert.deepEqual(skips(batch), skips(expected[b]), where);
          assert.deepEqual(
            batch.embedded.map((e) => e.item),
            expected[b].embedded.map((e) => e.item),
            where,
          );
          batch.embedded.forEach((e, j) =>
            assert.deepEqual(e.vector, expected[b].embedded[j].vector, `${where}, ${path.basename(e.item)}`),
          );
        });
      }
    }
  });

  it('skips broken files with their reasons, a batch of nothing but broken files included', async () => {
    for (const { name, options } of PIPELINES.filter((p) => p.options.readAhead !== 0)) {
      const got = await collect(embedFiles(files, (f) => f, encoder, { ...options, batchSize: 4 }));
      assert.deepEqual(got[2].embedded, [], name);
      assert.deepEqual(
        got[2].skipped.map((s) => path.basename(s.item)),
        ['cut-1.jpg', 'empty.png', 'cut-2.jpg', 'cut-3.jpg'],
        name,
      );
      assert.match(got[2].skipped[1].reason, /empty file/);
      assert.match(got[0].skipped[0].reason, /not an image/);
      const embedded = got.flatMap((b) => b.embedded.map((e) => e.item));
      assert.deepEqual(
        embedded,
        files.filter((f) => !fx.broken.has(f)),
        name,
      );
      for (const e of got.flatMap((b) => b.embedded)) assert.ok(Math.abs(Math.hypot(...e.vector) - 1) < 1e-5);
    }
  });

  it('on this thread, starts decoding the batches ahead before the model runs on the current one', async () => {
    const events: string[] = [];
    const traced: ClipEncoder = {
      ...encoder,
      embedPixels: (batch: PixelBatch) => {
        events.push('model');
        return encoder.embedPixels(batch);
      },
    };
    const fileOf = (f: string) => {
      events.push(`decode ${files.indexOf(f)}`);
      return f;
    };
    const opening = (options: EmbedFilesOptions) => {
      events.length = 0;
      return collect(embedFiles(files.slice(0, 6), fileOf, traced, { batchSize: 2, ...options })).then(() =>
        events.slice(0, 7),
      );
    };
    const here = (readAhead?: number) => opening({ decodeThreads: 0, readAhead });
    assert.deepEqual(await here(0), ['decode 0', 'decode 1', 'model', 'decode 2', 'decode 3', 'model', 'decode 4']);
    assert.deepEqual(await here(1), ['decode 0', 'decode 1', 'decode 2', 'decode 3', 'model', 'decode 4', 'decode 5']);
    const allThenModel = ['decode 0', 'decode 1', 'decode 2', 'decode 3', 'decode 4', 'decode 5', 'model'];
    assert.deepEqual(await here(2), allThenModel);
    assert.deepEqual(await here(undefined), await here(0), 'nothing read ahead by default on this thread');
    // Decode threads are handed the whole queue before the model first runs.
    assert.deepEqual(await opening({ decodeThreads: 1, readAhead: 2 }), allThenModel);
    assert.deepEqual(await opening({ decodeThreads: 1 }), allThenModel, 'a queue by default with decode threads');
  });

  it('stops when aborted, before the first batch or after one, and returns only once its read-ahead has settled', async () => {
    const aborted = new AbortController();
    aborted.abort();
    assert.deepEqual(await collect(embedFiles(files, (f) => f, encoder, { batchSize: 4, signal: aborted.signal })), []);

    for (const { name, options } of PIPELINES) {
      const readAhead = options.readAhead ?? 4;
      const controller = new AbortController();
      let decodes = 0;
      const unhandled = await watchUnhandled(async () => {
        const got: EmbeddedBatch<string>[] = [];
        const run = { ...options, batchSize: 4, signal: controller.signal };
        for await (const batch of embedFiles(files, (f) => (decodes++, f), encoder, run)) {
          got.push(batch);
          controller.abort();
        }
        assert.equal(got.length, 1, `${name}: nothing after the batch in hand when the signal came`);
        assert.deepEqual(
          got[0].embedded.map((e) => e.item),
          files.slice(0, 3),
        );
      });
      assert.deepEqual(unhandled, [], name);
      assert.equal(
        decodes,
        Math.min(files.length, 4 * (1 + readAhead)),
        `${name}: the batch in hand and those read ahead were started, nothing more`,
      );
    }

    // When it returns, the batches read ahead on this thread have finished: none is prepared afterwards.
    let prepared = 0;
    const counting: ClipEncoder = {
      ...encoder,
      preprocessImages: (images) => (prepared++, encoder.preprocessImages(images)),
    };
    const stop = new AbortController();
    const run = { batchSize: 2, decodeThreads: 0, readAhead: 5, signal: stop.signal };
    for await (const _ of embedFiles(files, (f) => f, counting, run)) stop.abort();
    const atReturn = prepared;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(prepared, atReturn, 'no batch was prepared after embedFiles returned');
    assert.equal(atReturn, 4, 'the batch in hand and the three of the five ahead that hold a photo');

    // Aborted while the next batch is being decoded: that batch is not embedded.
    for (const { name, options } of PIPELINES) {
      const controller = new AbortController();
      const abortOnSecondBatch = (f: string) => {
        if (f === files[4]) controller.abort();
        return f;
      };
      const got = await collect(
        embedFiles(files, abortOnSecondBatch, encoder, { ...options, batchSize: 4, signal: controller.signal }),
      );
      assert.ok(got.length <= 1, `${name}: ${got.length} batches`);
    }
  });

  it('reports a failing batch at its own turn, after the batches before it, even when it was read ahead', async () => {
    // In batches of 2, the second ([photo, notes.jpg]) is the only one with a single decodable image; the
    // batches ahead are decoded at the same time, so the order of the calls does not tell which batch it is.
    const failingModel: ClipEncoder = {
      ...encoder,
      embedPixels: (batch) =>
        batch.count === 1 ? Promise.reject(new Error('second batch failed')) : encoder.embedPixels(batch),
    };
    // On this thread the model's input is made ahead too, so a failure to make it is read ahead as well.
    const failingInput: ClipEncoder = {
      ...encoder,
      preprocessImages: (images) =>
        images.length === 1 ? Promise.reject(new Error('second batch failed')) : encoder.preprocessImages(images),
    };
    const cases: [string, ClipEncoder, EmbedFilesOptions][] = [
      ...PIPELINES.map(({ name, options }): [string, ClipEncoder, EmbedFilesOptions] => [name, failingModel, options]),
      ['making the input on this thread', failingInput, { decodeThreads: 0, readAhead: 3 }],
    ];
    for (const [name, embedder, options] of cases) {
      const got: EmbeddedBatch<string>[] = [];
      const unhandled = await watchUnhandled(async () => {
        await assert.rejects(async () => {
          for await (const batch of embedFiles(files, (f) => f, embedder, { ...options, batchSize: 2 }))
            got.push(batch);
        }, /second batch failed/);
      });
      assert.equal(got.length, 1, name);
      assert.deepEqual(unhandled, [], name);
    }
  });

  it('refuses a batch size, read-ahead or number of decode threads that is not a whole number', async () => {
    await assert.rejects(
      collect(embedFiles(files, (f) => f, encoder, { batchSize: 0 })),
      /batch size must be a positive integer, got 0/,
    );
    await assert.rejects(
      collect(embedFiles(files, (f) => f, encoder, { readAhead: 1.5 })),
      /read-ahead must be a whole number of batches, got 1.5/,
    );
    await assert.rejects(
      collect(embedFiles(files, (f) => f, encoder, { decodeThreads: -1 })),
      /decode threads must be a whole number, got -1/,
    );
    await assert.rejects(
      collect(embedFiles(files, (f) => f, encoder, { decodeThreads: 1, decodeFilesAtOnce: 0 })),
      /files decoded at once must be a whole number from 1, got 0/,
    );
  });
});
