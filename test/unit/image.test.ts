/**
 * decodeImage on real photos and on every format variant and failure the indexer meets in a photo folder.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import {
  DECODE_FAILURES,
  DecodedImage,
  DecodeResult,
  IMAGE_EXTENSIONS,
  decodeBmp,
  decodeImage,
  isImageFile,
  shortSideResizeDims,
} from '../../src/core/embed/image';

const CLOTHING = path.resolve(__dirname, '../../../shared/data/clothing');
const hatDir = path.join(CLOTHING, 'train/hat');
const hatPhoto = path.join(hatDir, fs.readdirSync(hatDir).filter((f) => f.endsWith('.jpg')).sort()[0]);

let tmp: string;
/** The reference pixels of hatPhoto, decoded by sharp directly. */
let reference: { data: Buffer; width: number; height: number };

function file(name: string, data: Buffer | string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, data);
  return p;
}

function expectOk(result: DecodeResult): DecodedImage {
  if (!result.ok) assert.fail(`expected a decoded image, got failure: ${result.reason}`);
  const { image } = result;
  assert.equal(image.channels, 3);
  assert.equal(image.data.length, image.width * image.height * 3);
  return image;
}

function expectFailure(result: DecodeResult, prefix: string): string {
  assert.equal(result.ok, false, `expected a failure starting "${prefix}"`);
  const { reason } = result as { ok: false; reason: string };
  assert.ok(reason.startsWith(prefix), `reason "${reason}" should start with "${prefix}"`);
  return reason;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** Writes RGB pixels as an uncompressed bottom-up (or top-down) BMP with a BITMAPINFOHEADER. */
function encodeBmp(rgb: Uint8Array, width: number, height: number, bpp: 24 | 32, topDown = false): Buffer {
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const offset = 14 + 40;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = row + x * (bpp / 8);
      buf[d] = rgb[s + 2];
      buf[d + 1] = rgb[s + 1];
      buf[d + 2] = rgb[s];
      if (bpp === 32) buf[d + 3] = 0xff;
    }
  }
  return buf;
}

/** A valid PNG header (signature, IHDR) claiming width x height, followed by a tiny IDAT and IEND. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(1 + width * 3))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-image-'));
  const { data, info } = await sharp(hatPhoto).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  reference = { data, width: info.width, height: info.height };
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('decodeImage: real photos', () => {
  it('decodes a JPEG to its size and pixels', async () => {
    const image = expectOk(await decodeImage(hatPhoto));
    assert.equal(image.width, reference.width);
    assert.equal(image.height, reference.height);
    assert.ok(image.width > 100 && image.height > 100);
    assert.equal(Buffer.compare(Buffer.from(image.data), reference.data), 0);
  });

  it('applies the EXIF orientation (6 = rotate 90 degrees clockwise)', async () => {
    const tagged = await sharp(hatPhoto).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    assert.equal((await sharp(tagged).metadata()).orientation, 6);
    const stored = await sharp(tagged).raw().toBuffer({ resolveWithObject: true }); // pixels as stored, unrotated
    const image = expectOk(await decodeImage(file('rotated.jpg', tagged)));
    const { width: w, height: h } = stored.info;
    assert.equal(image.width, h);
    assert.equal(image.height, w);
    // Clockwise: output (x, y) comes from stored (y, h - 1 - x).
    let mismatches = 0;
    for (let y = 0; y < image.height; y += 7) {
      for (let x = 0; x < image.width; x += 7) {
        const o = (y * image.width + x) * 3;
        const s = ((h - 1 - x) * w + y) * 3;
        for (let c = 0; c < 3; c++) if (image.data[o + c] !== stored.data[s + c]) mismatches++;
      }
    }
    assert.equal(mismatches, 0);
  });

  it('shrinks a large photo on load to the target short side, keeping the aspect', async () => {
    const big = await sharp(hatPhoto).resize(1800, 2400, { fit: 'fill' }).jpeg().toBuffer();
    const image = expectOk(await decodeImage(file('big.jpg', big), { targetShortSide: 224 }));
    assert.equal(image.width, 224);
    assert.equal(image.height, 298); // floor(2400 * 224 / 1800)
    assert.deepEqual(shortSideResizeDims(1800, 2400, 224), [224, 298]);
    // Same picture: compare with the small reference resized the same way.
    const ref = await sharp(reference.data, { raw: { width: reference.width, height: reference.height, channels: 3 } })
      .resize(224, 298, { fit: 'fill' }).raw().toBuffer();
    assert.ok(meanAbsDiff(image.data, ref) < 12, `mean abs diff ${meanAbsDiff(image.data, ref)}`);
    // Short side already at or under the target: left alone.
    const small = expectOk(await decodeImage(hatPhoto, { targetShortSide: 1000 }));
    assert.equal(small.width, reference.width);
  });

  it('applies orientation before choosing the resize axes', async () => {
    const big = await sharp(hatPhoto).resize(2400, 1800, { fit: 'fill' }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = expectOk(await decodeImage(file('big-rotated.jpg', big), { targetShortSide: 224 }));
    assert.equal(image.width, 224); // upright it is 1800 wide, 2400 high
    assert.equal(image.height, 298);
  });
});

describe('decodeImage: failures', () => {
  it('empty file', async () => {
    expectFailure(await decodeImage(file('empty.jpg', Buffer.alloc(0))), DECODE_FAILURES.empty);
  });

  it('a text file named .jpg', async () => {
    expectFailure(await decodeImage(file('notes.jpg', 'These are my notes, not a photo.\n')), DECODE_FAILURES.notAnImage);
  });

  it('a truncated JPEG (first half of a real one)', async () => {
    const bytes = fs.readFileSync(hatPhoto);
    expectFailure(await decodeImage(file('half.jpg', bytes.subarray(0, bytes.length >> 1))), DECODE_FAILURES.corrupt);
  });

  it('a PNG claiming 20000 x 20000 pixels is refused before decoding', async () => {
    const bomb = file('bomb.png', pngClaiming(20000, 20000));
    assert.ok(fs.statSync(bomb).size < 100_000);
    const started = performance.now();
    const reason = expectFailure(await decodeImage(bomb), DECODE_FAILURES.tooLarge);
    assert.match(reason, /20000x20000/);
    assert.ok(performance.now() - started < 1000, 'refused from the header, without decoding');
  });

  it('a real photo over a custom pixel limit', async () => {
    expectFailure(await decodeImage(hatPhoto, { maxPixels: 10_000 }), DECODE_FAILURES.tooLarge);
  });

  it('a missing file', async () => {
    const reason = expectFailure(await decodeImage(path.join(tmp, 'nope.jpg')), DECODE_FAILURES.unreadable);
    assert.match(reason, /ENOENT/);
  });
});

describe('decodeImage: format variants all come out as 8-bit RGB', () => {
  const raw = () => sharp(reference.data, { raw: { width: reference.width, height: reference.height, channels: 3 } });

  it('PNG with alpha: alpha dropped, colours kept', async () => {
    const png = await raw().ensureAlpha(0.5).png().toBuffer();
    assert.equal((await sharp(png).metadata()).channels, 4);
    const image = expectOk(await decodeImage(file('alpha.png', png)));
    assert.equal(Buffer.compare(Buffer.from(image.data), reference.data), 0);
  });

  it('16-bit PNG', async () => {
    const png = await raw().toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(png).metadata()).depth, 'ushort');
    const image = expectOk(await decodeImage(file('deep.png', png)));
    assert.ok(meanAbsDiff(image.data, reference.data) < 1, `mean abs diff ${meanAbsDiff(image.data, reference.data)}`);
  });

  it('grayscale PNG: one channel becomes three equal ones', async () => {
    const png = await raw().toColourspace('b-w').png().toBuffer();
    assert.equal((await sharp(png).metadata()).channels, 1);
    const image = expectOk(await decodeImage(file('gray.png', png)));
    assert.equal(image.width, reference.width);
    for (let i = 0; i < image.data.length; i += 3 * 97) {
      assert.equal(image.data[i], image.data[i + 1]);
      assert.equal(image.data[i], image.data[i + 2]);
    }
  });

  it('CMYK JPEG', async () => {
    const jpg = await raw().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    assert.equal((await sharp(jpg).metadata()).space, 'cmyk');
    const image = expectOk(await decodeImage(file('cmyk.jpg', jpg)));
    // The sRGB -> CMYK -> sRGB round trip through ICC profiles is lossy (gamut), but far from the ~100+ a
    // misread (inverted or channel-swapped) CMYK would give.
    assert.ok(meanAbsDiff(image.data, reference.data) < 16, `mean abs diff ${meanAbsDiff(image.data, reference.data)}`);
  });

  for (const format of ['gif', 'webp'] as const) {
    it(`animated ${format.toUpperCase()}: the first frame`, async () => {
      const frame = (hex: string) => sharp({ create: { width: 40, height: 30, channels: 3, background: hex } }).png().toBuffer();
      const frames = [await frame('#e01010'), await frame('#1010e0'), await frame('#10e010')];
      const joined = sharp(frames, { join: { animated: true } });
      const anim = format === 'gif' ? await joined.gif().toBuffer() : await joined.webp({ lossless: true }).toBuffer();
      assert.equal((await sharp(anim).metadata()).pages, 3);
      const image = expectOk(await decodeImage(file(`anim.${format}`, anim)));
      assert.equal(image.width, 40);
      assert.equal(image.height, 30);
      const [r, g, b] = image.data;
      assert.ok(r > 180 && g < 60 && b < 60, `first frame is red, got ${r},${g},${b}`);
    });
  }

  it('TIFF (lossless)', async () => {
    const tif = await raw().tiff({ compression: 'lzw' }).toBuffer();
    const image = expectOk(await decodeImage(file('photo.tif', tif)));
    assert.equal(Buffer.compare(Buffer.from(image.data), reference.data), 0);
  });

  it('BMP 24-bit bottom-up, 32-bit top-down: exact pixels', async () => {
    for (const [bpp, topDown] of [[24, false], [32, true], [24, true]] as const) {
      const bmp = encodeBmp(reference.data, reference.width, reference.height, bpp, topDown);
      const image = expectOk(await decodeImage(file(`photo-${bpp}-${topDown}.bmp`, bmp)));
      assert.equal(image.width, reference.width);
      assert.equal(image.height, reference.height);
      assert.equal(Buffer.compare(Buffer.from(image.data), reference.data), 0, `${bpp}-bit topDown=${topDown}`);
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
    const bmp = encodeBmp(reference.data, reference.width, reference.height, 24);
    expectFailure(await decodeImage(file('cut.bmp', bmp.subarray(0, bmp.length - 100))), DECODE_FAILURES.corrupt);
    const rle = Buffer.from(bmp.subarray(0, 200));
    rle.writeUInt16LE(8, 28);
    rle.writeUInt32LE(1, 30); // BI_RLE8
    expectFailure(await decodeImage(file('rle.bmp', rle)), DECODE_FAILURES.unsupported);
    const huge = Buffer.from(bmp.subarray(0, 54));
    huge.writeInt32LE(30000, 18);
    huge.writeInt32LE(30000, 22);
    expectFailure(await decodeImage(file('huge.bmp', huge)), DECODE_FAILURES.tooLarge);
  });

  it('BMP is shrunk to the target short side too', async () => {
    const bmp = encodeBmp(reference.data, reference.width, reference.height, 24);
    const image = expectOk(await decodeImage(file('shrink.bmp', bmp), { targetShortSide: 100 }));
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
