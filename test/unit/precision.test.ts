/**
 * Model precision: the generated model's fp16 and q8 files are what loadClip runs at each precision, their
 * embeddings stay close to fp32, and a store (embedded or a Pinecone index, the local stand-in) holds vectors of
 * one precision only: indexing, a prompt or a copy of another precision is refused, naming how to re-index.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadClip, type ClipEncoder } from '../../src/core/embed/clip';
import { decodeImage, type DecodedImage } from '../../src/core/embed/image';
import { onnxFileName } from '../../src/core/embed/model-ref';
import { MODEL_PRECISIONS, type ModelPrecision } from '../../src/core/embed/precision';
import { VectorTuneError } from '../../src/core/errors';
import { indexFolder } from '../../src/core/ingest/index-folder';
import { checkCompatible } from '../../src/core/store/copy-store';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { openOrCreateStore, type StoreLocation } from '../../src/core/store/store-location';
import { generateClipModel } from '../../tools/generate-model/generate';
import { writePrecisionVariants } from '../../tools/generate-model/variants';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { tempDir } from '../helpers/temp';
import { listJpegs, SAMPLE_IMAGES } from '../helpers/worker-workspace';

let modelDir: string;
let root: string;
let fake: FakePinecone;
const encoders = new Map<ModelPrecision, ClipEncoder>();
let images: DecodedImage[];

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-precision-'));
  modelDir = path.join(root, 'model');
  await generateClipModel(modelDir);
  await writePrecisionVariants(modelDir, MODEL_PRECISIONS);
  for (const p of MODEL_PRECISIONS) encoders.set(p, await loadClip(modelDir, { dtype: p }));
  const files = (await listJpegs(SAMPLE_IMAGES)).slice(0, 8);
  images = (await Promise.all(files.map((f) => decodeImage(f, {})))).map((d) => (d.ok ? d.image : assert.fail()));
  fake = await startFakePinecone();
});
after(async () => {
  for (const e of encoders.values()) await e.dispose();
  await fake?.close();
  await fs.rm(root, { recursive: true, force: true });
});

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('the generated model at each precision', () => {
  test('writes the files transformers.js loads for fp16 and q8, smaller than fp32', async () => {
    const size = async (p: ModelPrecision) => (await fs.stat(path.join(modelDir, onnxFileName('text', p)))).size;
    const [fp32, fp16, q8] = [await size('fp32'), await size('fp16'), await size('q8')];
    assert.ok(Math.abs(fp16 / fp32 - 0.5) < 0.01, `fp16 text tower ${fp16} bytes is half of fp32's ${fp32}`);
    assert.ok(q8 < fp32, `q8 ${q8} < fp32 ${fp32}`);
    for (const p of MODEL_PRECISIONS) assert.equal(encoders.get(p)!.precision, p);
  });

  test('each precision embeds images and texts close to fp32, and not identically', async () => {
    const want = await encoders.get('fp32')!.embedImages(images);
    const wantText = await encoders.get('fp32')!.embedTexts(['a photo of a hat', 'a red shoe']);
    for (const p of ['fp16', 'q8'] as const) {
      const got = await encoders.get(p)!.embedImages(images);
      const cosines = got.map((v, i) => dot(v, want[i]));
      // fp16 was NaN here while transformers.js converted the pixels to float16 (see toFloat16 in clip-tensors.ts).
      assert.ok(
        cosines.every((c) => c > 0.995),
        `${p} image cosines to fp32: ${cosines.map((c) => c.toFixed(5)).join(' ')}`,
      );
      assert.ok(
        cosines.some((c) => c < 0.9999999),
        `${p} runs its own file, not the fp32 one (${cosines.join(' ')})`,
      );
      const texts = await encoders.get(p)!.embedTexts(['a photo of a hat', 'a red shoe']);
      texts.forEach((v, i) => assert.ok(dot(v, wantText[i]) > 0.995, `${p} text ${i}: ${dot(v, wantText[i])}`));
    }
  });

  test('a precision whose files are missing is refused naming them', async (t) => {
    const dir = await tempDir(t);
    await fs.cp(modelDir, dir, { recursive: true });
    await fs.rm(path.join(dir, onnxFileName('vision', 'q8')));
    await assert.rejects(loadClip(dir, { dtype: 'q8' }), (err: unknown) => {
      assert.ok(err instanceof VectorTuneError, String(err));
      assert.match(err.message, /lacks onnx\/vision_model_quantized\.onnx/);
      return true;
    });
  });
});

function embeddedAt(dir: string): { kind: 'embedded'; dir: string } {
  return { kind: 'embedded', dir: path.join(dir, '.vectortune', 'store') };
}

async function indexWith(ws: string, location: StoreLocation, precision: ModelPrecision) {
  return indexFolder({
    folder: path.join(ws, 'photos'),
    root: ws,
    embedder: encoders.get(precision)!,
    openStore: (identity) => openOrCreateStore(location, identity),
  });
}

async function photoWorkspace(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const ws = await tempDir(t, 'vt-precision-ws-');
  await fs.cp(path.join(SAMPLE_IMAGES, 'hat'), path.join(ws, 'photos'), { recursive: true });
  return ws;
}

describe('a store holds one precision', () => {
  test('the embedded store records q8 (format 2) and refuses fp32 vectors, naming how to re-index', async (t) => {
    const ws = await photoWorkspace(t);
    const location = embeddedAt(ws);
    const first = await indexWith(ws, location, 'q8');
    assert.ok(first.added > 0);
    const manifestFile = path.join(ws, '.vectortune', 'store', 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
    assert.equal(manifest.precision, 'q8');
    assert.equal(manifest.version, 2, 'older versions, which know no precision, refuse the store');

    await fs.copyFile(
      path.join(SAMPLE_IMAGES, 'shoes', (await fs.readdir(path.join(SAMPLE_IMAGES, 'shoes')))[0]),
      path.join(ws, 'photos', 'new.jpg'),
    );
    await assert.rejects(indexWith(ws, location, 'fp32'), (err: unknown) => {
      assert.ok(err instanceof VectorTuneError, String(err));
      assert.equal(err.file, location.dir);
      assert.match(err.message, /holds q8 embeddings of ".*", and these are fp32; vectors of two precisions/);
      assert.match(err.message, /--precision q8/);
      assert.match(err.message, /re-index at fp32/);
      return true;
    });
    const store = await EmbeddedStore.open(location.dir);
    assert.equal(await store.count(), first.added, 'nothing was written');
    assert.equal(store.info.precision, 'q8');
    await store.close();
    const again = await indexWith(ws, location, 'q8');
    assert.equal(again.added, 1, 'at its own precision the store takes the new image');
  });

  test('an fp32 store is written as before (no precision field, format 1), so older versions still read it', async (t) => {
    const ws = await photoWorkspace(t);
    await indexWith(ws, embeddedAt(ws), 'fp32');
    const manifest = JSON.parse(await fs.readFile(path.join(ws, '.vectortune', 'store', 'manifest.json'), 'utf8'));
    assert.equal(manifest.version, 1);
    assert.equal('precision' in manifest, false);
    await assert.rejects(indexWith(ws, embeddedAt(ws), 'fp16'), /holds fp32 embeddings.*these are fp16/);
  });

  test('a Pinecone index (local stand-in) records the precision and refuses another', async (t) => {
    const ws = await photoWorkspace(t);
    const location: StoreLocation = {
      kind: 'pinecone',
      connection: { apiKey: fake.apiKey, indexName: 'precision-q8', controllerHostUrl: fake.controllerHostUrl },
    };
    await indexWith(ws, location, 'q8');
    const record = fake.indexes.get('precision-q8')!.namespaces.get('__vector_tune__')!.get('store:__default__')!;
    assert.equal(record.metadata!.precision, 'q8');
    assert.equal(record.metadata!.version, 2);
    await assert.rejects(indexWith(ws, location, 'fp16'), (err: unknown) => {
      assert.ok(err instanceof VectorTuneError);
      assert.match(
        err.message,
        /Pinecone index "precision-q8" cannot take these vectors: it holds q8 .* these are fp16/,
      );
      assert.match(err.message, /another Pinecone index/);
      return true;
    });
  });

  test('copy-store refuses stores of two precisions', async (t) => {
    const dir = await tempDir(t);
    const identity = { modelId: 'm', dimension: 4 };
    const q8 = await EmbeddedStore.openOrCreate(path.join(dir, 'a'), { ...identity, precision: 'q8' });
    const fp32 = await EmbeddedStore.openOrCreate(path.join(dir, 'b'), identity);
    try {
      assert.throws(() => checkCompatible(q8, fp32), /q8 vectors cannot go into a store of fp32 vectors/);
    } finally {
      await q8.close();
      await fp32.close();
    }
  });
});
