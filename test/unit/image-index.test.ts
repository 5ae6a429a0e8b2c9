/**
 * Bad image files through the real indexing run (indexFolder, the generated CLIP model, the embedded
 * store): each is skipped with its reason and the run goes on to embed the good ones; and the embedding of
 * an EXIF-turned photo is the embedding of the upright photo.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { ClipEncoder, loadClip } from '../../src/core/embed/clip';
import { DECODE_FAILURES } from '../../src/core/embed/image';
import { indexFolder } from '../../src/core/ingest/index-folder';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { generateClipModel } from '../../tools/generate-model/generate';
import { gifClaiming, pngBomb } from '../helpers/image-fixtures';
import { ImageScratch } from '../helpers/image-suite';
import { RgbImage, storedForOrientation } from '../helpers/image-orientation';

let tmp: string;
let encoder: ClipEncoder;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-image-index-'));
  await generateClipModel(path.join(tmp, 'model'));
  encoder = await loadClip(path.join(tmp, 'model'));
});

after(async () => {
  await encoder?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * b[i], 0); // unit vectors

test('a folder of good and bad images: the bad ones are skipped with their reasons, the good ones indexed', async () => {
  const scratch = await ImageScratch.create('vt-image-index-photos-');
  const ws = path.join(tmp, 'workspace');
  const photos = path.join(ws, 'photos');
  fs.mkdirSync(photos, { recursive: true });
  const put = (name: string, data: Buffer | string) => fs.writeFileSync(path.join(photos, name), data);

  // The good: the photo upright, under each EXIF orientation, and once turned without a tag; a PNG named .jpg.
  const big = await scratch
    .raw()
    .resize(scratch.reference.width * 2, scratch.reference.height * 2)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const upright: RgbImage = { data: big.data, width: big.info.width, height: big.info.height };
  const jpegOf = (image: RgbImage, orientation?: number) => {
    const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({
      quality: 95,
    });
    return (orientation ? pipeline.withMetadata({ orientation }) : pipeline).toBuffer();
  };
  for (let o = 1; o <= 8; o++) put(`hat-o${o}.jpg`, await jpegOf(storedForOrientation(upright, o), o));
  put('hat-sideways.jpg', await jpegOf(storedForOrientation(upright, 6)));
  put('hat-really-png.jpg', await scratch.raw().png().toBuffer());
  const good = 10;

  // The bad, each with the reason it must be skipped for.
  const jpeg = fs.readFileSync(path.join(photos, 'hat-o1.jpg'));
  const bad: Record<string, string> = {
    'empty.png': DECODE_FAILURES.empty,
    'cut.jpg': DECODE_FAILURES.corrupt,
    'notes.jpg': DECODE_FAILURES.notAnImage,
    'drawing.jpg': DECODE_FAILURES.unsupported,
    'bomb.png': DECODE_FAILURES.tooLarge,
    'bomb.gif': DECODE_FAILURES.tooLarge,
    'huge.tif': DECODE_FAILURES.fileTooLarge,
  };
  put('empty.png', '');
  put('cut.jpg', jpeg.subarray(0, jpeg.length >> 1));
  put('notes.jpg', 'not a photo\n');
  put('drawing.jpg', '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>');
  put('bomb.png', pngBomb(50_000, 50_000));
  put(
    'bomb.gif',
    gifClaiming(
      await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } })
        .gif()
        .toBuffer(),
      50_000,
      50_000,
    ),
  );
  put('huge.tif', '');
  fs.truncateSync(path.join(photos, 'huge.tif'), 300 * 1024 * 1024); // sparse: 300 MiB of zeros on no disk
  scratch.remove();

  const storeDir = path.join(ws, '.vectortune', 'store');
  const started = performance.now();
  const report = await indexFolder({ folder: photos, root: ws, storeDir, embedder: encoder, batchSize: 4 });
  const seconds = (performance.now() - started) / 1000;

  const skipped = Object.fromEntries(report.skipped.map((s) => [path.basename(s.path), s.reason]));
  assert.deepEqual(Object.keys(skipped).sort(), Object.keys(bad).sort(), 'exactly the bad files are skipped');
  for (const [name, prefix] of Object.entries(bad))
    assert.ok(skipped[name].startsWith(prefix), `${name}: "${skipped[name]}" should start with "${prefix}"`);
  assert.equal(report.added, good);
  assert.equal(report.cancelled, false);

  const store = await EmbeddedStore.open(storeDir);
  const ids = fs
    .readdirSync(photos)
    .filter((n) => !(n in bad))
    .map((n) => `photos/${n}`);
  const vectors = new Map((await store.fetch(ids)).map((r) => [path.basename(r.id), r.vector]));
  await store.close();
  assert.equal(vectors.size, good);

  // The model saw every tagged file upright: their embeddings match the upright photo's, up to JPEG noise,
  // far closer than the same photo turned without a tag.
  const reference = vectors.get('hat-o1.jpg')!;
  const sideways = cosine(reference, vectors.get('hat-sideways.jpg')!);
  const tagged = [2, 3, 4, 5, 6, 7, 8].map((o) => cosine(reference, vectors.get(`hat-o${o}.jpg`)!));
  for (const [i, c] of tagged.entries()) {
    assert.ok(
      c > 0.995 && 1 - c < (1 - sideways) / 10,
      `orientation ${i + 2}: cosine ${c} to upright (turned without a tag: ${sideways})`,
    );
  }
  console.log(
    `image index: ${good} photos indexed and ${Object.keys(bad).length} bad files skipped with their reasons in ${seconds.toFixed(2)} s; ` +
      `1 - cosine to the upright photo: tagged at most ${(1 - Math.min(...tagged)).toExponential(1)}, turned without a tag ${(1 - sideways).toExponential(1)}`,
  );
});
