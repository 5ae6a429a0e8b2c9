import { sharedData } from '../helpers/temp';
/**
 * loadClip on the generated tiny CLIP (the real loading path, transformers.js and all) and on broken folders.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VectorTuneError } from '../../src/core/errors';
import { ClipEncoder, loadClip } from '../../src/core/embed/clip';
import { DecodedImage, decodeImage } from '../../src/core/embed/image';
import { CLIP_PRESETS, generateClipModel } from '../../tools/generate-model/generate';

const CLOTHING = sharedData('clothing/train');
const tiny = CLIP_PRESETS.tiny;

let tmp: string;
let modelDir: string;
let encoder: ClipEncoder;
let photos: DecodedImage[];

function photoFiles(category: string, n: number): string[] {
  const dir = path.join(CLOTHING, category);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, n)
    .map((f) => path.join(dir, f));
}

async function decodeAll(files: string[]): Promise<DecodedImage[]> {
  const out: DecodedImage[] = [];
  for (const f of files) {
    const r = await decodeImage(f, { targetShortSide: 224 });
    if (!r.ok) throw new Error(`${f}: ${r.reason}`);
    out.push(r.image);
  }
  return out;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

function assertUnitVectors(vectors: Float32Array[], dimension: number): void {
  for (const v of vectors) {
    assert.ok(v instanceof Float32Array);
    assert.equal(v.length, dimension);
    assert.ok(v.every(Number.isFinite));
    assert.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-5, `norm ${Math.sqrt(dot(v, v))}`);
  }
}

/** A copy of the generated model folder, for breaking. */
function copyModel(name: string): string {
  const dir = path.join(tmp, name);
  fs.cpSync(modelDir, dir, { recursive: true });
  return dir;
}

async function expectVectorTuneError(
  promise: Promise<unknown>,
  ...mustMention: (string | RegExp)[]
): Promise<VectorTuneError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(
      err instanceof VectorTuneError,
      `expected a VectorTuneError, got ${err instanceof Error ? err.stack : String(err)}`,
    );
    for (const m of mustMention) {
      if (typeof m === 'string') assert.ok(err.message.includes(m), `message "${err.message}" should mention ${m}`);
      else assert.match(err.message, m);
    }
    return err;
  }
  assert.fail('expected loadClip to fail');
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-clip-'));
  modelDir = path.join(tmp, 'clip-tiny');
  await generateClipModel(modelDir, tiny, 1);
  encoder = await loadClip(modelDir);
  photos = await decodeAll([...photoFiles('hat', 3), ...photoFiles('dress', 3), ...photoFiles('longsleeve', 2)]);
});

after(async () => {
  await encoder?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('loadClip on a generated folder', () => {
  it('reports the model id, dimension and image size', () => {
    assert.equal(encoder.modelId, 'vector-tune/generated-clip-tiny');
    assert.equal(encoder.dimension, tiny.projectionDim);
    assert.equal(encoder.imageSize, 224);
  });

  it('embeds real photos as distinct unit vectors; the same photo twice identically', async () => {
    const vectors = await encoder.embedImages(photos);
    assert.equal(vectors.length, photos.length);
    assertUnitVectors(vectors, encoder.dimension);
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) {
        assert.ok(dot(vectors[i], vectors[j]) < 0.995, `photos ${i} and ${j}: cosine ${dot(vectors[i], vectors[j])}`);
      }
    }
    const again = await encoder.embedImages([photos[0], photos[0]]);
    assert.deepEqual(again[0], again[1]);
    assert.ok(maxAbsDiff(again[0], vectors[0]) < 1e-5);
  });

  it('gives the same vectors for a batch of 5 as for five batches of 1', async () => {
    const five = photos.slice(0, 5);
    const batched = await encoder.embedImages(five);
    for (let i = 0; i < five.length; i++) {
      const [single] = await encoder.embedImages([five[i]]);
      assert.ok(maxAbsDiff(batched[i], single) < 1e-5, `image ${i}: ${maxAbsDiff(batched[i], single)}`);
    }
  });

  it('takes images of any size (resized for the model) and rejects malformed pixel buffers', async () => {
    const r = await decodeImage(photoFiles('hat', 1)[0]); // full size, not pre-shrunk
    assert.ok(r.ok);
    const [full] = await encoder.embedImages([r.image]);
    const [pre] = await encoder.embedImages([photos[0]]);
    assert.ok(dot(full, pre) > 0.99, `same photo at two sizes: cosine ${dot(full, pre)}`);
    assert.deepEqual(await encoder.embedImages([]), []);
    await assert.rejects(
      encoder.embedImages([{ data: new Uint8Array(10), width: 4, height: 4, channels: 3 }]),
      /expected 4x4 RGB/,
    );
  });

  it('embeds texts as distinct unit vectors, batched or not', async () => {
    const prompts = ['a photo of a hat', 'a photo of a dress', 'a long sleeve shirt', 'hat'];
    const vectors = await encoder.embedTexts(prompts);
    assertUnitVectors(vectors, encoder.dimension);
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++)
        assert.ok(dot(vectors[i], vectors[j]) < 0.9999, `${prompts[i]} vs ${prompts[j]}`);
    }
    // Padding inside a batch must not change a text's vector.
    for (let i = 0; i < prompts.length; i++) {
      const [alone] = await encoder.embedTexts([prompts[i]]);
      assert.ok(maxAbsDiff(alone, vectors[i]) < 1e-5, prompts[i]);
    }
  });

  it('truncates long texts to the context but keeps the end token CLIP pools at', async () => {
    // "hat" is one token: 75 of them plus start and end fill the 77-token context exactly. 100 of them must be
    // cut to the same tokens, end token included (transformers.js's own truncation would drop the end token).
    const [exact, long, short] = await encoder.embedTexts(['hat '.repeat(75), 'hat '.repeat(100), 'hat']);
    assert.ok(maxAbsDiff(exact, long) < 1e-5, `max diff ${maxAbsDiff(exact, long)}`);
    assert.ok(dot(exact, short) < 0.9999, 'the long text is not the short one');
  });

  it('can be disposed, after which it refuses work', async () => {
    const other = await loadClip(path.relative(process.cwd(), modelDir));
    assert.equal(other.dimension, tiny.projectionDim);
    await other.dispose();
    await assert.rejects(other.embedImages(photos.slice(0, 1)), /disposed/);
  });
});

describe('loadClip errors name the path and the problem', () => {
  it('a missing folder', async () => {
    const missing = path.join(tmp, 'no-such-model');
    await expectVectorTuneError(loadClip(missing), missing, /does not exist/, /onnx\/vision_model\.onnx/);
  });

  it('a folder missing a required file', async () => {
    const dir = copyModel('no-text-model');
    fs.rmSync(path.join(dir, 'onnx/text_model.onnx'));
    await expectVectorTuneError(loadClip(dir), dir, 'onnx/text_model.onnx');
    const dir2 = copyModel('no-tokenizer');
    fs.rmSync(path.join(dir2, 'tokenizer.json'));
    await expectVectorTuneError(loadClip(dir2), dir2, 'tokenizer.json');
  });

  it('a broken ONNX file', async () => {
    const dir = copyModel('broken-onnx');
    const file = path.join(dir, 'onnx/vision_model.onnx');
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 4000));
    await expectVectorTuneError(loadClip(dir), file, /not a usable ONNX model/);
  });

  it('an ONNX file with the wrong inputs and outputs', async () => {
    const dir = copyModel('swapped-onnx');
    fs.copyFileSync(path.join(modelDir, 'onnx/text_model.onnx'), path.join(dir, 'onnx/vision_model.onnx'));
    await expectVectorTuneError(
      loadClip(dir),
      path.join(dir, 'onnx/vision_model.onnx'),
      /no input named "pixel_values"/,
    );
  });

  it('an ONNX file for another image size', async () => {
    const dir = path.join(tmp, 'other-size');
    await generateClipModel(dir, { ...tiny, imageSize: 160 }, 1);
    fs.copyFileSync(path.join(modelDir, 'preprocessor_config.json'), path.join(dir, 'preprocessor_config.json'));
    await expectVectorTuneError(loadClip(dir), path.join(dir, 'onnx/vision_model.onnx'), /\[batch, 3, 224, 224\]/);
  });

  it('a broken text model is reported on first text use, naming the file', async () => {
    const dir = copyModel('broken-text');
    const file = path.join(dir, 'onnx/text_model.onnx');
    fs.writeFileSync(file, 'not onnx at all');
    const enc = await loadClip(dir); // images only: the text model is not read yet
    try {
      assert.equal((await enc.embedImages(photos.slice(0, 1))).length, 1);
      await expectVectorTuneError(enc.embedTexts(['a hat']), file, /not a usable ONNX model/);
    } finally {
      await enc.dispose();
    }
  });

  it('a config for another kind of model', async () => {
    const dir = copyModel('not-clip');
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ model_type: 'bert' }));
    await expectVectorTuneError(loadClip(dir), file, /"bert"/);
  });

  it('a hub id that is not cached, with downloads off', async () => {
    const cacheDir = path.join(tmp, 'empty-cache');
    const err = await expectVectorTuneError(
      loadClip('Xenova/clip-vit-base-patch32', { cacheDir, allowDownload: false }),
      'Xenova/clip-vit-base-patch32',
      /downloading is turned off/,
      /local folder/,
    );
    assert.ok(err.message.includes(cacheDir));
  });

  it('a hub id found in the cache loads offline under its id', async () => {
    const cacheDir = path.join(tmp, 'cache');
    fs.cpSync(modelDir, path.join(cacheDir, 'someone', 'clip-tiny'), { recursive: true });
    const enc = await loadClip('someone/clip-tiny', { cacheDir });
    try {
      assert.equal(enc.modelId, 'someone/clip-tiny');
      const [v] = await enc.embedImages(photos.slice(0, 1));
      const [ref] = await encoder.embedImages(photos.slice(0, 1));
      assert.ok(maxAbsDiff(v, ref) < 1e-6);
    } finally {
      await enc.dispose();
    }
  });
});
