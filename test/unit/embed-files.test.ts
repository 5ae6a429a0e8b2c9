/**
 * embedFiles, the decode -> preprocess -> model loop shared by indexing and ranking, on the generated tiny CLIP
 * (transformers.js and onnxruntime for real) and real photos: preparing batches ahead of the model must not
 * change a single bit of any vector, nor the order, nor which files are skipped; it must stop on abort and
 * report a failure at its own batch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClipEncoder, loadClip, PixelBatch } from '../../src/core/embed/clip';
import { decodeImage } from '../../src/core/embed/image';
import { EmbeddedBatch, embedFiles, EmbedFilesOptions } from '../../src/core/ingest/embed-files';
import { CLIP_PRESETS, generateClipModel } from '../../tools/generate-model/generate';
import { sharedData } from '../helpers/temp';

let tmp: string;
let encoder: ClipEncoder;
/** Real photos (clothing, landscape and portrait; CIFAR, upscaled) with broken files among them. */
let files: string[];
const BROKEN = new Set<string>();

function firstFiles(dir: string, n: number): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, n)
    .map((f) => path.join(dir, f));
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-embed-files-'));
  await generateClipModel(path.join(tmp, 'model'), CLIP_PRESETS.tiny, 3);
  encoder = await loadClip(path.join(tmp, 'model'));
  const photos = [
    ...firstFiles(sharedData('clothing', 'train', 'hat'), 5),
    ...firstFiles(sharedData('clothing', 'train', 'dress'), 4),
    ...firstFiles(sharedData('cifar10-test', 'ship'), 5),
  ];
  const broken = (name: string, content: string | Buffer) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, content);
    BROKEN.add(file);
    return file;
  };
  const jpeg = fs.readFileSync(photos[0]);
  const cut = (name: string) => broken(name, jpeg.subarray(0, jpeg.length / 2));
  // With batches of 4, files 8-11 are a batch of nothing but broken files.
  files = [
    ...photos.slice(0, 3),
    broken('notes.jpg', 'not a photo\n'),
    ...photos.slice(3, 7),
    cut('cut-1.jpg'),
    broken('empty.png', ''),
    cut('cut-2.jpg'),
    cut('cut-3.jpg'),
    ...photos.slice(7),
  ];
});

after(async () => {
  await encoder?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function collect<T>(gen: AsyncGenerator<EmbeddedBatch<T>>): Promise<EmbeddedBatch<T>[]> {
  const out: EmbeddedBatch<T>[] = [];
  for await (const batch of gen) out.push(batch);
  return out;
}

/** The loop as it was before read-ahead: each batch decoded, then embedded, one after the other. */
async function reference(batchSize: number): Promise<EmbeddedBatch<string>[]> {
  const out: EmbeddedBatch<string>[] = [];
  for (let i = 0; i < files.length; i += batchSize) {
    const batch = files.slice(i, i + batchSize);
    const decoded = await Promise.all(batch.map((f) => decodeImage(f, { targetShortSide: encoder.imageSize })));
    const good = batch.filter((_, j) => decoded[j].ok);
    const images = decoded.flatMap((d) => (d.ok ? [d.image] : []));
    const vectors = images.length > 0 ? await encoder.embedImages(images) : [];
    out.push({
      embedded: good.map((item, j) => ({ item, vector: vectors[j] })),
      skipped: decoded.flatMap((d, j) => (d.ok ? [] : [{ item: batch[j], reason: d.reason }])),
    });
  }
  return out;
}

/** Records the unhandled rejections seen while `body` runs (a read-ahead failure left unobserved is one). */
async function watchUnhandled(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await body();
    await new Promise((r) => setTimeout(r, 200)); // let anything still in flight settle
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describe('embedFiles', () => {
  it('gives bit-identical vectors, in input order, and the same skipped files, whatever the read-ahead', async () => {
    for (const batchSize of [1, 4, 5]) {
      const expected = await reference(batchSize);
      for (const readAhead of [0, 1, 3]) {
        const got = await collect(embedFiles(files, (f) => f, encoder, { batchSize, readAhead }));
        assert.equal(got.length, expected.length, `batch ${batchSize}, read-ahead ${readAhead}: batches`);
        got.forEach((batch, b) => {
          const where = `batch size ${batchSize}, read-ahead ${readAhead}, batch ${b}`;
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
    const got = await collect(embedFiles(files, (f) => f, encoder, { batchSize: 4, readAhead: 2 }));
    assert.deepEqual(got[2].embedded, []);
    assert.deepEqual(
      got[2].skipped.map((s) => path.basename(s.item)),
      ['cut-1.jpg', 'empty.png', 'cut-2.jpg', 'cut-3.jpg'],
    );
    assert.match(got[2].skipped[1].reason, /empty file/);
    assert.match(got[0].skipped[0].reason, /not an image/);
    const embedded = got.flatMap((b) => b.embedded.map((e) => e.item));
    assert.deepEqual(
      embedded,
      files.filter((f) => !BROKEN.has(f)),
    );
    for (const e of got.flatMap((b) => b.embedded)) assert.ok(Math.abs(Math.hypot(...e.vector) - 1) < 1e-5);
  });

  it('starts decoding the batches ahead before the model runs on the current one', async () => {
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
    const opening = (readAhead: number | undefined) => {
      events.length = 0;
      return collect(embedFiles(files.slice(0, 6), fileOf, traced, { batchSize: 2, readAhead })).then(() =>
        events.slice(0, 7),
      );
    };
    assert.deepEqual(await opening(0), ['decode 0', 'decode 1', 'model', 'decode 2', 'decode 3', 'model', 'decode 4']);
    assert.deepEqual(await opening(1), [
      'decode 0',
      'decode 1',
      'decode 2',
      'decode 3',
      'model',
      'decode 4',
      'decode 5',
    ]);
    const allThenModel = ['decode 0', 'decode 1', 'decode 2', 'decode 3', 'decode 4', 'decode 5', 'model'];
    assert.deepEqual(await opening(2), allThenModel);
    assert.deepEqual(await opening(undefined), await opening(0), 'nothing read ahead by default');
  });

  it('stops when aborted, before the first batch or after one, and returns only once its read-ahead has settled', async () => {
    const aborted = new AbortController();
    aborted.abort();
    assert.deepEqual(await collect(embedFiles(files, (f) => f, encoder, { batchSize: 4, signal: aborted.signal })), []);

    for (const readAhead of [0, 2]) {
      const controller = new AbortController();
      let decodes = 0;
      const unhandled = await watchUnhandled(async () => {
        const got: EmbeddedBatch<string>[] = [];
        const options: EmbedFilesOptions = { batchSize: 4, readAhead, signal: controller.signal };
        for await (const batch of embedFiles(files, (f) => (decodes++, f), encoder, options)) {
          got.push(batch);
          controller.abort();
        }
        assert.equal(got.length, 1, 'nothing after the batch in hand when the signal came');
        assert.deepEqual(
          got[0].embedded.map((e) => e.item),
          files.slice(0, 3),
        );
      });
      assert.deepEqual(unhandled, []);
      assert.equal(
        decodes,
        4 * (1 + readAhead),
        `read-ahead ${readAhead}: the batch in hand and those read ahead were started, nothing more`,
      );
    }

    // When it returns, the batches read ahead have finished: none is prepared afterwards.
    let prepared = 0;
    const counting: ClipEncoder = {
      ...encoder,
      preprocessImages: (images) => (prepared++, encoder.preprocessImages(images)),
    };
    const stop = new AbortController();
    for await (const _ of embedFiles(files, (f) => f, counting, { batchSize: 2, readAhead: 5, signal: stop.signal }))
      stop.abort();
    const atReturn = prepared;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(prepared, atReturn, 'no batch was prepared after embedFiles returned');
    assert.equal(atReturn, 4, 'the batch in hand and the three of the five ahead that hold a photo');

    // Aborted while the next batch is being decoded: that batch is not embedded.
    const controller = new AbortController();
    const abortOnSecondBatch = (f: string) => {
      if (f === files[4]) controller.abort();
      return f;
    };
    const got = await collect(
      embedFiles(files, abortOnSecondBatch, encoder, { batchSize: 4, readAhead: 0, signal: controller.signal }),
    );
    assert.equal(got.length, 1);
  });

  it('reports a failing batch at its own turn, after the batches before it, even when it was read ahead', async () => {
    // In batches of 2, the second ([photo, notes.jpg]) is the only one with a single decodable image; the
    // batches ahead are decoded at the same time, so the order of the calls does not tell which batch it is.
    const failing: ClipEncoder = {
      ...encoder,
      preprocessImages: (images) =>
        images.length === 1 ? Promise.reject(new Error('second batch failed')) : encoder.preprocessImages(images),
    };
    const got: EmbeddedBatch<string>[] = [];
    const unhandled = await watchUnhandled(async () => {
      await assert.rejects(async () => {
        for await (const batch of embedFiles(files, (f) => f, failing, { batchSize: 2, readAhead: 3 })) got.push(batch);
      }, /second batch failed/);
    });
    assert.equal(got.length, 1);
    assert.deepEqual(unhandled, []);
  });

  it('refuses a batch size or read-ahead that is not a whole number', async () => {
    await assert.rejects(
      collect(embedFiles(files, (f) => f, encoder, { batchSize: 0 })),
      /batch size must be a positive integer, got 0/,
    );
    await assert.rejects(
      collect(embedFiles(files, (f) => f, encoder, { readAhead: 1.5 })),
      /read-ahead must be a whole number of batches, got 1.5/,
    );
  });
});
