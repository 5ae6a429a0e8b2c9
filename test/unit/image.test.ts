/**
 * decodeImage on real photos, format variants and BMP. The hostile and unusual files (empty, truncated,
 * misnamed, bombs, animations, CMYK, 16-bit) are in image-edge-cases.test.ts, EXIF orientation in
 * image-orientation.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import {
  DECODE_FAILURES,
  IMAGE_EXTENSIONS,
  decodeBmp,
  decodeImage,
  isImageFile,
  shortSideResizeDims,
} from '../../src/core/embed/image';
import { encodeBmp, pngClaiming } from '../helpers/image-fixtures';
import { expectDecoded, expectRefused, HAT_PHOTO, imageSuite, meanAbsDiff } from '../helpers/image-suite';

const suite = imageSuite('image');
const { file } = suite;
const hatPhoto = HAT_PHOTO;

describe('decodeImage: real photos', () => {
  it('decodes a JPEG to its size and pixels', async () => {
    const image = expectDecoded(await decodeImage(hatPhoto));
    assert.equal(image.width, suite.scratch.reference.width);
    assert.equal(image.height, suite.scratch.reference.height);
    assert.ok(image.width > 100 && image.height > 100);
    assert.equal(Buffer.compare(Buffer.from(image.data), suite.scratch.reference.data), 0);
  });

  it('shrinks a large photo on load to the target short side, keeping the aspect', async () => {
    const big = await sharp(hatPhoto).resize(1800, 2400, { fit: 'fill' }).jpeg().toBuffer();
    const image = expectDecoded(await decodeImage(file('big.jpg', big), { targetShortSide: 224 }));
    assert.equal(image.width, 224);
    assert.equal(image.height, 298); // floor(2400 * 224 / 1800)
    assert.deepEqual(shortSideResizeDims(1800, 2400, 224), [224, 298]);
    // Same picture: compare with the small reference resized the same way.
    const ref = await suite.scratch.raw().resize(224, 298, { fit: 'fill' }).raw().toBuffer();
    assert.ok(meanAbsDiff(image.data, ref) < 12, `mean abs diff ${meanAbsDiff(image.data, ref)}`);
    // Short side already at or under the target: left alone.
    const small = expectDecoded(await decodeImage(hatPhoto, { targetShortSide: 1000 }));
    assert.equal(small.width, suite.scratch.reference.width);
  });
});

describe('decodeImage: failures', () => {
  it('a PNG claiming 20000 x 20000 pixels is refused before decoding', async () => {
    const bomb = file('bomb.png', pngClaiming(20000, 20000));
    assert.ok(fs.statSync(bomb).size < 100_000);
    const started = performance.now();
    const reason = expectRefused(await decodeImage(bomb), DECODE_FAILURES.tooLarge);
    assert.match(reason, /20000x20000/);
    assert.ok(performance.now() - started < 1000, 'refused from the header, without decoding');
  });

  it('a real photo over a custom pixel limit', async () => {
    expectRefused(await decodeImage(hatPhoto, { maxPixels: 10_000 }), DECODE_FAILURES.tooLarge);
  });

  it('a missing file', async () => {
    const reason = expectRefused(
      await decodeImage(path.join(suite.scratch.dir, 'nope.jpg')),
      DECODE_FAILURES.unreadable,
    );
    assert.match(reason, /ENOENT/);
  });
});

describe('decodeImage: format variants all come out as 8-bit RGB', () => {
  const raw = () => suite.raw();

  it('PNG with alpha: alpha dropped, colours kept', async () => {
    const png = await raw().ensureAlpha(0.5).png().toBuffer();
    assert.equal((await sharp(png).metadata()).channels, 4);
    const image = expectDecoded(await decodeImage(file('alpha.png', png)));
    assert.equal(Buffer.compare(Buffer.from(image.data), suite.scratch.reference.data), 0);
  });

  it('grayscale PNG: one channel becomes three equal ones', async () => {
    const png = await raw().toColourspace('b-w').png().toBuffer();
    assert.equal((await sharp(png).metadata()).channels, 1);
    const image = expectDecoded(await decodeImage(file('gray.png', png)));
    assert.equal(image.width, suite.scratch.reference.width);
    for (let i = 0; i < image.data.length; i += 3 * 97) {
      assert.equal(image.data[i], image.data[i + 1]);
      assert.equal(image.data[i], image.data[i + 2]);
    }
  });

  it('TIFF (lossless)', async () => {
    const tif = await raw().tiff({ compression: 'lzw' }).toBuffer();
    const image = expectDecoded(await decodeImage(file('photo.tif', tif)));
    assert.equal(Buffer.compare(Buffer.from(image.data), suite.scratch.reference.data), 0);
  });

  it('BMP 24-bit bottom-up, 32-bit top-down: exact pixels', async () => {
    for (const [bpp, topDown] of [
      [24, false],
      [32, true],
      [24, true],
    ] as const) {
      const bmp = encodeBmp(
        suite.scratch.reference.data,
        suite.scratch.reference.width,
        suite.scratch.reference.height,
        bpp,
        topDown,
      );
      const image = expectDecoded(await decodeImage(file(`photo-${bpp}-${topDown}.bmp`, bmp)));
      assert.equal(image.width, suite.scratch.reference.width);
      assert.equal(image.height, suite.scratch.reference.height);
      assert.equal(
        Buffer.compare(Buffer.from(image.data), suite.scratch.reference.data),
        0,
        `${bpp}-bit topDown=${topDown}`,
      );
    }
  });

  it('BMP with an odd width (row padding), 8-bit palette, and 16-bit 5-5-5', () => {
    // 3 x 2 image, 24-bit: each row is 9 bytes padded to 12.
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const decoded = decodeBmp(encodeBmp(rgb, 3, 2, 24));
    assert.ok(decoded.ok);
    assert.deepEqual(Array.from(decoded.image.data), Array.from(rgb));

    // 8-bit palette, 2 x 1: palette [0] = blue, [1] = white (entries are B, G, R, 0).
    const pal = Buffer.alloc(14 + 40 + 8 + 4);
    pal.write('BM', 0, 'latin1');
    pal.writeUInt32LE(14 + 40 + 8, 10);
    pal.writeUInt32LE(40, 14);
    pal.writeInt32LE(2, 18);
    pal.writeInt32LE(1, 22);
    pal.writeUInt16LE(1, 26);
    pal.writeUInt16LE(8, 28);
    pal.writeUInt32LE(2, 46); // colours used
    Buffer.from([255, 0, 0, 0, 255, 255, 255, 0]).copy(pal, 54);
    Buffer.from([1, 0, 0, 0]).copy(pal, 62);
    const p = decodeBmp(pal);
    assert.ok(p.ok);
    assert.deepEqual(Array.from(p.image.data), [255, 255, 255, 0, 0, 255]);

    // 16-bit BI_RGB, 1 x 1: 0x7C00 is pure red in 5-5-5.
    const b16 = Buffer.alloc(14 + 40 + 4);
    b16.write('BM', 0, 'latin1');
    b16.writeUInt32LE(54, 10);
    b16.writeUInt32LE(40, 14);
    b16.writeInt32LE(1, 18);
    b16.writeInt32LE(1, 22);
    b16.writeUInt16LE(1, 26);
    b16.writeUInt16LE(16, 28);
    b16.writeUInt16LE(0x7c00, 54);
    const r16 = decodeBmp(b16);
    assert.ok(r16.ok);
    assert.deepEqual(Array.from(r16.image.data), [255, 0, 0]);
  });

  it('BMP: truncated, RLE-compressed, and too large ones fail clearly', async () => {
    const bmp = encodeBmp(
      suite.scratch.reference.data,
      suite.scratch.reference.width,
      suite.scratch.reference.height,
      24,
    );
    expectRefused(await decodeImage(file('cut.bmp', bmp.subarray(0, bmp.length - 100))), DECODE_FAILURES.corrupt);
    const rle = Buffer.from(bmp.subarray(0, 200));
    rle.writeUInt16LE(8, 28);
    rle.writeUInt32LE(1, 30); // BI_RLE8
    expectRefused(await decodeImage(file('rle.bmp', rle)), DECODE_FAILURES.unsupported);
    const huge = Buffer.from(bmp.subarray(0, 54));
    huge.writeInt32LE(30000, 18);
    huge.writeInt32LE(30000, 22);
    expectRefused(await decodeImage(file('huge.bmp', huge)), DECODE_FAILURES.tooLarge);
  });

  it('BMP is shrunk to the target short side too', async () => {
    const bmp = encodeBmp(
      suite.scratch.reference.data,
      suite.scratch.reference.width,
      suite.scratch.reference.height,
      24,
    );
    const image = expectDecoded(await decodeImage(file('shrink.bmp', bmp), { targetShortSide: 100 }));
    assert.equal(Math.min(image.width, image.height), 100);
  });
});

describe('image file names', () => {
  it('recognises the supported extensions, case-insensitively', () => {
    assert.deepEqual([...IMAGE_EXTENSIONS].sort(), ['bmp', 'gif', 'jpeg', 'jpg', 'png', 'tif', 'tiff', 'webp']);
    assert.ok(isImageFile('/a/b/Photo.JPG'));
    assert.ok(isImageFile('x.tif'));
    assert.ok(!isImageFile('notes.txt'));
    assert.ok(!isImageFile('jpg'));
  });
});
