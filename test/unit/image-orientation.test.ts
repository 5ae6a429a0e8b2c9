/**
 * EXIF orientation: a camera stores the sensor's pixels and a tag saying how to turn them. The model must see
 * the picture upright, as the thumbnails show it (test/webview/image-orientation.browser.test.ts checks
 * those), under all eight tags, in every format that carries one, at full size and shrunk to the model's
 * input. The stored pixels are computed from the EXIF definition (helpers/image-orientation.ts), not by
 * the library under test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { imageSuite, meanAbsDiff } from '../helpers/image-suite';
import { quadrantError, quadrantImage, RgbImage, storedForOrientation } from '../helpers/image-orientation';

const ORIENTATIONS = [1, 2, 3, 4, 5, 6, 7, 8];
const suite = imageSuite('image orientation');
const { tally } = suite;

/** The stored pixels for `orientation`, written as `format` with that orientation tag. */
async function tagged(
  upright: RgbImage,
  orientation: number,
  format: 'jpeg' | 'png' | 'webp' | 'tiff',
): Promise<Buffer> {
  const stored = storedForOrientation(upright, orientation);
  const pipeline = sharp(stored.data, { raw: { width: stored.width, height: stored.height, channels: 3 } });
  const encoders = {
    jpeg: () => pipeline.jpeg({ quality: 95 }),
    png: () => pipeline.png(),
    webp: () => pipeline.webp({ lossless: true }),
    tiff: () => pipeline.tiff({ compression: 'lzw' }),
  };
  const encoded = encoders[format]();
  const bytes = await encoded.withMetadata({ orientation }).toBuffer();
  assert.equal(
    (await sharp(bytes).metadata()).orientation,
    orientation,
    `the ${format} file carries orientation ${orientation}`,
  );
  return bytes;
}

describe('every EXIF orientation decodes upright', () => {
  const upright = quadrantImage(96, 64);

  it('the fixtures are honest: without its tag, each turned picture but the first looks wrong', async () => {
    for (const orientation of ORIENTATIONS) {
      const stored = storedForOrientation(upright, orientation);
      const png = await sharp(stored.data, { raw: { width: stored.width, height: stored.height, channels: 3 } })
        .png()
        .toBuffer();
      const image = await tally.decodes(suite.file(`untagged-${orientation}.png`, png));
      const error = orientation <= 4 ? quadrantError(image.data, image.width, image.height) : Infinity; // 5-8: wrong shape already
      if (orientation === 1) assert.equal(error, 0);
      else
        assert.ok(
          error > 100 || image.width !== upright.width,
          `orientation ${orientation} untagged should not look upright`,
        );
    }
  });

  for (const format of ['jpeg', 'png', 'webp', 'tiff'] as const) {
    it(`${format.toUpperCase()}, orientations 1-8`, async () => {
      for (const orientation of ORIENTATIONS) {
        const image = await tally.decodes(
          suite.file(`o${orientation}.${format}`, await tagged(upright, orientation, format)),
        );
        const what = `${format} orientation ${orientation}`;
        assert.deepEqual([image.width, image.height], [upright.width, upright.height], `${what}: upright size`);
        if (format === 'jpeg') {
          // Lossy: colours within a few levels, except along the quadrant edges (chroma subsampling).
          assert.ok(quadrantError(image.data, image.width, image.height) <= 12, `${what}: quadrant colours`);
          assert.ok(
            meanAbsDiff(image.data, upright.data) < 4,
            `${what}: mean abs diff ${meanAbsDiff(image.data, upright.data)}`,
          );
        } else {
          assert.equal(Buffer.compare(Buffer.from(image.data), Buffer.from(upright.data)), 0, `${what}: exact pixels`);
        }
      }
    });
  }
});

describe('orientation and shrinking to the model input', () => {
  it('all eight tags give the same upright, shrunk picture (short side 224, long side in the upright axis)', async () => {
    const upright = quadrantImage(480, 320);
    const results = [];
    for (const orientation of ORIENTATIONS) {
      const image = await tally.decodes(
        suite.file(`big-o${orientation}.png`, await tagged(upright, orientation, 'png')),
        { targetShortSide: 224 },
      );
      assert.deepEqual([image.width, image.height], [336, 224], `orientation ${orientation}`);
      assert.ok(quadrantError(image.data, image.width, image.height) === 0, `orientation ${orientation}: upright`);
      results.push(image);
    }
    // Shrinking before or after turning may round differently at the quadrant edges, but only there.
    for (const [i, image] of results.entries()) {
      assert.ok(
        meanAbsDiff(image.data, results[0].data) < 0.5,
        `orientation ${i + 1}: mean abs diff ${meanAbsDiff(image.data, results[0].data)} from orientation 1`,
      );
    }
  });

  it('a real photo tagged 6 and shrunk: the same picture as the upright photo shrunk', async () => {
    const { reference } = suite.scratch;
    const big = await suite.scratch
      .raw()
      .resize(reference.width * 4, reference.height * 4)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const uprightBig: RgbImage = { data: big.data, width: big.info.width, height: big.info.height };
    const plain = await tally.decodes(suite.file('photo-upright.jpg', await tagged(uprightBig, 1, 'jpeg')), {
      targetShortSide: 224,
    });
    const turned = await tally.decodes(suite.file('photo-o6.jpg', await tagged(uprightBig, 6, 'jpeg')), {
      targetShortSide: 224,
    });
    assert.deepEqual([turned.width, turned.height], [plain.width, plain.height]);
    assert.ok(meanAbsDiff(turned.data, plain.data) < 3, `mean abs diff ${meanAbsDiff(turned.data, plain.data)}`);
  });
});

describe('a damaged orientation tag', () => {
  it('an out-of-range value (0, 9, 255) is ignored: the pixels as stored, no failure', async () => {
    const upright = quadrantImage(96, 64);
    const jpeg = await tagged(upright, 1, 'jpeg');
    // The IFD entry: tag 0x0112, type SHORT (3), count 1, then the value, in the file's byte order.
    const withTag = (value: number) => {
      const bytes = Buffer.from(jpeg);
      const bigEndian = bytes.indexOf(Buffer.from('0112000300000001', 'hex'));
      const littleEndian = bytes.indexOf(Buffer.from('1201030001000000', 'hex'));
      assert.ok(bigEndian >= 0 || littleEndian >= 0, 'the orientation entry is in the file');
      if (bigEndian >= 0) bytes.writeUInt16BE(value, bigEndian + 8);
      else bytes.writeUInt16LE(value, littleEndian + 8);
      return suite.file(`tag-${value}.jpg`, bytes);
    };
    // The control: the same patch writing a valid 6 does turn the picture, so the patch hits the tag.
    assert.equal((await tally.decodes(withTag(6))).width, upright.height);
    for (const value of [0, 9, 255]) {
      const image = await tally.decodes(withTag(value));
      assert.ok(quadrantError(image.data, image.width, image.height) <= 12, `tag ${value}: left as stored`);
    }
  });
});
