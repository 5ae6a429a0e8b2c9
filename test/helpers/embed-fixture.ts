/**
 * What the tests of embedFiles and its decode threads share: the generated tiny CLIP (transformers.js and
 * onnxruntime for real) and real photos (clothing, landscape and portrait; CIFAR, upscaled) with broken files
 * among them, and the loop as it was before anything was prepared ahead, to compare against.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClipEncoder, loadClip } from '../../src/core/embed/clip';
import { decodeImage } from '../../src/core/embed/image';
import type { EmbeddedBatch } from '../../src/core/ingest/embed-files';
import { CLIP_PRESETS, generateClipModel } from '../../tools/generate-model/generate';
import { sharedData } from './temp';

export interface EmbedFixture {
  tmp: string;
  encoder: ClipEncoder;
  /** With batches of 4, files 8-11 are a batch of nothing but broken files. */
  files: string[];
  broken: Set<string>;
  dispose(): Promise<void>;
}

function firstFiles(dir: string, n: number): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, n)
    .map((f) => path.join(dir, f));
}

export async function embedFixture(): Promise<EmbedFixture> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-embed-files-'));
  await generateClipModel(path.join(tmp, 'model'), CLIP_PRESETS.tiny, 3);
  const encoder = await loadClip(path.join(tmp, 'model'));
  const photos = [
    ...firstFiles(sharedData('clothing', 'train', 'hat'), 5),
    ...firstFiles(sharedData('clothing', 'train', 'dress'), 4),
    ...firstFiles(sharedData('cifar10-test', 'ship'), 5),
  ];
  const broken = new Set<string>();
  const brokenFile = (name: string, content: string | Buffer) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, content);
    broken.add(file);
    return file;
  };
  const jpeg = fs.readFileSync(photos[0]);
  const cut = (name: string) => brokenFile(name, jpeg.subarray(0, jpeg.length / 2));
  const files = [
    ...photos.slice(0, 3),
    brokenFile('notes.jpg', 'not a photo\n'),
    ...photos.slice(3, 7),
    cut('cut-1.jpg'),
    brokenFile('empty.png', ''),
    cut('cut-2.jpg'),
    cut('cut-3.jpg'),
    ...photos.slice(7),
  ];
  return {
    tmp,
    encoder,
    files,
    broken,
    async dispose() {
      await encoder.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function collect<T>(gen: AsyncGenerator<EmbeddedBatch<T>>): Promise<EmbeddedBatch<T>[]> {
  const out: EmbeddedBatch<T>[] = [];
  for await (const batch of gen) out.push(batch);
  return out;
}

/** The loop as it was before anything was prepared ahead: each batch decoded, then embedded, one after the other. */
export async function reference(
  encoder: ClipEncoder,
  files: string[],
  batchSize: number,
): Promise<EmbeddedBatch<string>[]> {
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
export async function watchUnhandled(body: () => Promise<void>): Promise<unknown[]> {
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
