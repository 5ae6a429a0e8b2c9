/**
 * The indexing pipeline's preprocessing step: CLIPImageProcessor's centre crop, rescale and normalise done in
 * one pass (clip-tensors.ts) must give the model exactly the input transformers.js's processor gives it, for
 * real photos of every shape the pipeline meets; anything it does not reproduce goes through the processor.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type * as Transformers from '@huggingface/transformers';
import { loadClip } from '../../src/core/embed/clip';
import {
  fitsRecipe,
  PixelRecipe,
  pixelRecipeOf,
  pixelValuesOf,
  resizeForProcessor,
} from '../../src/core/embed/clip-tensors';
import { DecodedImage, decodeImage } from '../../src/core/embed/image';
import { CLIP_PRESETS, generateClipModel } from '../../tools/generate-model/generate';
import { sharedData } from '../helpers/temp';

type TF = typeof Transformers;
let tf: TF;
let tmp: string;
let modelDir: string;
let processor: Transformers.ImageProcessor;
let recipe: PixelRecipe;
/** Real images as the pipeline hands them over: decoded, then resized so the short side is 224. */
let images: { name: string; image: DecodedImage }[];

const firstFile = (...parts: string[]) => {
  const dir = sharedData(...parts);
  return path.join(
    dir,
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort()[0],
  );
};

async function decoded(file: string): Promise<DecodedImage> {
  const r = await decodeImage(file, { targetShortSide: 224 });
  if (!r.ok) throw new Error(`${file}: ${r.reason}`);
  return resizeForProcessor(r.image, 0, 224);
}

/** A real photo cut to an odd size, so the centre crop's offsets are rounded. */
async function cutPhoto(file: string, width: number, height: number, name: string): Promise<string> {
  const out = path.join(tmp, name);
  await sharp(file).extract({ left: 3, top: 5, width, height }).jpeg({ quality: 95 }).toFile(out);
  return out;
}

async function loadProcessor(dir: string): Promise<Transformers.ImageProcessor> {
  tf.env.allowLocalModels = true;
  return await tf.AutoImageProcessor.from_pretrained(dir, { local_files_only: true });
}

function rawOf(img: DecodedImage): Transformers.RawImage {
  return new tf.RawImage(img.data, img.width, img.height, 3);
}

function assertSameTensor(actual: Transformers.Tensor, expected: Transformers.Tensor, what: string): void {
  assert.deepEqual(actual.dims, expected.dims, `${what}: dims`);
  const a = actual.data as Float32Array;
  const e = expected.data as Float32Array;
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], e[i])) differing++;
  assert.equal(differing, 0, `${what}: ${differing} of ${a.length} values differ`);
}

before(async () => {
  tf = await import('@huggingface/transformers');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-pixels-'));
  modelDir = path.join(tmp, 'model');
  await generateClipModel(modelDir, CLIP_PRESETS.tiny, 5);
  processor = await loadProcessor(modelDir);
  recipe = pixelRecipeOf(tf, processor)!;
  const hat = firstFile('clothing', 'train', 'hat');
  const files: [string, string][] = [
    ['clothing photo', hat],
    ['clothing photo, other shape', firstFile('clothing', 'train', 'pants')],
    ['CIFAR-10 32x32, upscaled', firstFile('cifar10-test', 'frog')],
    ['odd landscape', await cutPhoto(hat, 245, 233, 'odd-landscape.jpg')],
    ['odd portrait', await cutPhoto(hat, 229, 251, 'odd-portrait.jpg')],
  ];
  images = await Promise.all(files.map(async ([name, file]) => ({ name, image: await decoded(file) })));
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('one-pass preprocessing', () => {
  it("gives the model the very input transformers.js's processor gives it, image by image and as a batch", async () => {
    assert.ok(recipe, "CLIP's processor has a recipe");
    assert.deepEqual([recipe.cropWidth, recipe.cropHeight], [224, 224]);
    const shapes = new Set(images.map(({ image }) => `${image.width}x${image.height}`));
    assert.ok(shapes.size >= 4, `several shapes: ${[...shapes].join(', ')}`);
    for (const { name, image } of images) {
      const { pixel_values } = await processor([rawOf(image)]);
      assertSameTensor(pixelValuesOf(tf, recipe, [image]), pixel_values, name);
    }
    const all = images.map((i) => i.image);
    const { pixel_values } = await processor(all.map(rawOf));
    assertSameTensor(pixelValuesOf(tf, recipe, all), pixel_values, 'the batch');
  });

  it('the encoder takes it where it fits and the processor elsewhere, with the same input either way', async () => {
    // A model folder whose processor does not resize: small images must be padded, which only the processor does.
    const noResize = path.join(tmp, 'no-resize');
    fs.cpSync(modelDir, noResize, { recursive: true });
    const configFile = path.join(noResize, 'preprocessor_config.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), do_resize: false }),
    );
    const encoder = await loadClip(noResize);
    const plain = await loadProcessor(noResize);
    try {
      const large = images[0].image;
      const small: DecodedImage = { data: large.data.subarray(0, 100 * 90 * 3), width: 100, height: 90, channels: 3 };
      assert.ok(fitsRecipe(recipe, large) && !fitsRecipe(recipe, small));
      for (const [what, batch] of [
        ['fits', [large]],
        ['needs padding', [small]],
        ['mixed batch', [large, small]],
      ] as const) {
        const { pixel_values } = await plain(batch.map(rawOf));
        const mine = await encoder.preprocessImages([...batch]);
        assert.equal(mine.count, batch.length);
        assertSameTensor(mine.pixelValues, pixel_values, what);
      }
    } finally {
      await encoder.dispose();
    }
  });

  it('leaves every processor it does not reproduce to transformers.js', async () => {
    const variant = async (name: string, change: Record<string, unknown>) => {
      const dir = path.join(tmp, name);
      fs.mkdirSync(dir, { recursive: true });
      const config = JSON.parse(fs.readFileSync(path.join(modelDir, 'preprocessor_config.json'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify({ ...config, ...change }));
      fs.copyFileSync(path.join(modelDir, 'config.json'), path.join(dir, 'config.json'));
      return pixelRecipeOf(tf, await loadProcessor(dir));
    };
    assert.equal(await variant('no-crop', { do_center_crop: false }), undefined);
    assert.equal(await variant('longest-edge', { size: { shortest_edge: 224, longest_edge: 300 } }), undefined);
    assert.equal(await variant('padded', { do_pad: true, pad_size: { width: 256, height: 256 } }), undefined);
    assert.equal(await variant('bgr', { do_flip_channel_order: true }), undefined);
    assert.equal(
      await variant('other-class', { image_processor_type: 'DetrImageProcessor', feature_extractor_type: undefined }),
      undefined,
    );
    const unnormalised = await variant('unnormalised', { do_normalize: false, do_rescale: false });
    assert.deepEqual([unnormalised?.table[5], unnormalised?.table[256 + 255]], [5, 255]);
  });
});
