/**
 * decodeImage on the files a real photo folder holds besides photos: empty, oversized, truncated, misnamed,
 * animations and unusual colour models and depths. Every file is built here, at test
 * time, in a temporary folder. Each must either decode to the same 8-bit RGB a plain JPEG of it would, or be
 * refused with a reason that names the problem, fast and without reading or decoding what it need not.
 * Decompression bombs (image-bombs.test.ts) and EXIF orientation (image-orientation.test.ts) have their own.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { DECODE_FAILURES, DEFAULT_MAX_FILE_BYTES } from '../../src/core/embed/image';
import { encodeBmp } from '../helpers/image-fixtures';
import { HAT_PHOTO, imageSuite, maxAbsDiff, meanAbsDiff, probeDecode } from '../helpers/image-suite';

const MiB = 1024 * 1024;

const suite = imageSuite('image edge cases');
const { tally, file, raw } = suite;

/** A file of `bytes` zeros that takes no disk space (sparse): big without being slow to make. */
function sparseFile(name: string, bytes: number): string {
  const p = file(name, '');
  fs.truncateSync(p, bytes);
  return p;
}

describe('empty, special and oversized files', () => {
  it('a zero-byte file, under every image extension', async () => {
    for (const ext of ['jpg', 'png', 'gif', 'webp', 'bmp', 'tif']) {
      await tally.refuses(file(`empty.${ext}`, Buffer.alloc(0)), DECODE_FAILURES.empty);
    }
  });

  it('a folder or a named pipe with an image name is refused, not waited on', async () => {
    fs.mkdirSync(path.join(suite.scratch.dir, 'album.jpg'));
    assert.match(
      await tally.refuses(path.join(suite.scratch.dir, 'album.jpg'), DECODE_FAILURES.unreadable),
      /not a regular file/,
    );
    if (process.platform === 'win32') return;
    const fifo = path.join(suite.scratch.dir, 'pipe.jpg');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    assert.match(await tally.refuses(fifo, DECODE_FAILURES.unreadable), /not a regular file/); // reading it would block forever
  });

  it('a file over the size limit is refused unread, the reason giving both sizes', async () => {
    assert.equal(DEFAULT_MAX_FILE_BYTES, 256 * MiB);
    const huge = sparseFile('huge.jpg', 300 * MiB);
    const probe = probeDecode(huge);
    assert.equal(probe.ok, false);
    assert.equal(probe.reason, `${DECODE_FAILURES.fileTooLarge}: 300 MiB is over the limit of 256 MiB`);
    assert.ok(probe.peakRssGrowthMB < 32, `peak RSS grew ${probe.peakRssGrowthMB.toFixed(1)} MB`);
    suite.note(`300 MiB file: refused in ${probe.ms.toFixed(1)} ms, peak RSS +${probe.peakRssGrowthMB.toFixed(1)} MB`);
    // The limit is an option; a real photo over a small one is refused the same way.
    const reason = await tally.refuses(HAT_PHOTO, DECODE_FAILURES.fileTooLarge, { maxFileBytes: 1000 });
    assert.match(reason, /KiB is over the limit of 1000 bytes$/);
  });

  it('a big file under the limit is not read whole to find it is no image', async () => {
    const junk = sparseFile('junk.png', 200 * MiB);
    const probe = probeDecode(junk);
    assert.equal(probe.ok, false);
    assert.ok(probe.reason?.startsWith(DECODE_FAILURES.notAnImage), probe.reason);
    assert.ok(
      probe.peakRssGrowthMB < 32,
      `peak RSS grew ${probe.peakRssGrowthMB.toFixed(1)} MB: the 200 MiB file was read`,
    );
    suite.note(
      `200 MiB of zeros named .png: refused in ${probe.ms.toFixed(1)} ms, peak RSS +${probe.peakRssGrowthMB.toFixed(1)} MB`,
    );
  });

  it('a file replaced on disk decodes as its new content (nothing stale is cached)', async () => {
    const p = file('replaced.png', await raw().png().toBuffer());
    assert.equal((await tally.decodes(p)).width, suite.scratch.reference.width);
    fs.writeFileSync(p, await raw().resize(50, 40, { fit: 'fill' }).png().toBuffer());
    assert.equal((await tally.decodes(p)).width, 50);
  });
});

describe('truncated files', () => {
  /** Cut points: inside the signature, the header, the data at several depths, and just before the end. */
  const cuts = (length: number) => [
    1,
    4,
    20,
    100,
    length >> 3,
    length >> 2,
    length >> 1,
    (length * 3) >> 2,
    length - 100,
    length - 2,
  ];

  for (const progressive of [false, true]) {
    it(`a ${progressive ? 'progressive' : 'baseline'} JPEG cut anywhere is refused as truncated`, async () => {
      const jpeg = await raw().jpeg({ quality: 90, progressive }).toBuffer();
      for (const n of cuts(jpeg.length)) {
        // One byte cannot even say it is a JPEG; from the second (FF D8) on it is a damaged one.
        const reason = await tally.refuses(
          file(`cut-${n}.jpg`, jpeg.subarray(0, n)),
          n < 2 ? DECODE_FAILURES.notAnImage : DECODE_FAILURES.corrupt,
        );
        if (n >= 2) assert.match(reason, /JPEG/, `cut at ${n}: "${reason}" names the format`);
      }
    });
  }

  it('a PNG cut anywhere before its last chunk is refused; cut inside the empty end chunk, it is whole', async () => {
    const png = await raw().png().toBuffer();
    for (const n of cuts(png.length - 12)) {
      const reason = await tally.refuses(
        file(`cut-${n}.png`, png.subarray(0, n)),
        n < 8 ? DECODE_FAILURES.notAnImage : DECODE_FAILURES.corrupt,
      );
      if (n >= 8) assert.match(reason, /PNG/i, `cut at ${n}: "${reason}" names the format`);
    }
    // IEND (the last 12 bytes) carries no data: every pixel is there, and the picture is exact.
    for (const missing of [1, 6, 12]) {
      const image = await tally.decodes(file(`no-end-${missing}.png`, png.subarray(0, png.length - missing)));
      assert.equal(Buffer.compare(Buffer.from(image.data), suite.scratch.reference.data), 0);
    }
  });

  it('GIF, WebP and TIFF cut in half are refused as truncated, not as unknown files', async () => {
    const variants: [string, Buffer][] = [
      ['gif', await raw().gif().toBuffer()],
      ['webp', await raw().webp().toBuffer()],
      ['tif', await raw().tiff({ compression: 'lzw' }).toBuffer()],
    ];
    for (const [ext, bytes] of variants) {
      const reason = await tally.refuses(
        file(`half.${ext}`, bytes.subarray(0, bytes.length >> 1)),
        DECODE_FAILURES.corrupt,
      );
      assert.match(reason, new RegExp(ext === 'tif' ? 'TIFF' : ext, 'i'), `"${reason}" names the format`);
    }
  });
});

describe('wrong extensions', () => {
  it('the content decides: a PNG named .jpg, a JPEG named .png, a WebP named .gif, a BMP named .tif', async () => {
    const png = await raw().png().toBuffer();
    assert.equal(
      Buffer.compare(
        Buffer.from((await tally.decodes(file('really-png.jpg', png))).data),
        suite.scratch.reference.data,
      ),
      0,
    );
    const jpeg = await raw().jpeg({ quality: 95 }).toBuffer();
    const fromJpeg = await tally.decodes(file('really-jpeg.png', jpeg));
    assert.ok(meanAbsDiff(fromJpeg.data, suite.scratch.reference.data) < 3);
    const webp = await raw().webp({ lossless: true }).toBuffer();
    assert.equal(
      Buffer.compare(
        Buffer.from((await tally.decodes(file('really-webp.gif', webp))).data),
        suite.scratch.reference.data,
      ),
      0,
    );
    const bmp = encodeBmp(Uint8Array.from([255, 0, 0]), 1, 1, 24);
    assert.deepEqual(Array.from((await tally.decodes(file('really-bmp.tif', bmp))).data), [255, 0, 0]);
  });

  it('text, HTML and a PDF named as images are not images', async () => {
    await tally.refuses(file('notes.jpg', 'These are my notes, not a photo.\n'), DECODE_FAILURES.notAnImage);
    await tally.refuses(
      file('page.png', '<!doctype html><html><body><img src="x.png"></body></html>'),
      DECODE_FAILURES.notAnImage,
    );
    await tally.refuses(
      file('paper.gif', '%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n'),
      DECODE_FAILURES.notAnImage,
    );
  });

  it('an SVG drawing or a libvips file named .jpg is refused: only photo formats are decoded', async () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="50" height="40"><rect width="50" height="40" fill="red"/></svg>';
    assert.match(await tally.refuses(file('drawing.jpg', svg), DECODE_FAILURES.unsupported), /SVG/);
    const vips = path.join(suite.scratch.dir, 'native.v');
    await raw().toFile(vips);
    fs.renameSync(vips, path.join(suite.scratch.dir, 'native.png'));
    assert.match(await tally.refuses(path.join(suite.scratch.dir, 'native.png'), DECODE_FAILURES.unsupported), /VIPS/);
  });
});

describe('animations: the first frame, the same every time', () => {
  for (const format of ['gif', 'webp'] as const) {
    it(`animated ${format.toUpperCase()}`, async () => {
      // Three frames of the photo, the 2nd and 3rd tinted: only the first may come out, at one frame's size.
      const frames = [
        await raw().png().toBuffer(),
        await raw().tint('#ff0000').png().toBuffer(),
        await raw().negate().png().toBuffer(),
      ];
      const joined = sharp(frames, { join: { animated: true } });
      const anim =
        format === 'gif'
          ? await joined.gif({ delay: [100, 100, 100] }).toBuffer()
          : await joined.webp({ lossless: true }).toBuffer();
      assert.equal((await sharp(anim).metadata()).pages, 3);
      const p = file(`anim.${format}`, anim);
      const first = await tally.decodes(p);
      assert.deepEqual([first.width, first.height], [suite.scratch.reference.width, suite.scratch.reference.height]);
      // GIF holds 256 colours, so the frame is close to the photo rather than equal to it.
      const limit = format === 'gif' ? 8 : 0;
      assert.ok(
        meanAbsDiff(first.data, suite.scratch.reference.data) <= limit,
        `first frame off by ${meanAbsDiff(first.data, suite.scratch.reference.data)}`,
      );
      for (let i = 0; i < 2; i++)
        assert.equal(
          Buffer.compare(Buffer.from((await tally.decodes(p)).data), Buffer.from(first.data)),
          0,
          'deterministic',
        );
      const small = await tally.decodes(p, { targetShortSide: 64 });
      assert.equal(Math.min(small.width, small.height), 64, 'shrunk by the frame, not the strip of frames');
    });
  }
});

describe('colour models and bit depths all become the same 8-bit sRGB', () => {
  it('CMYK JPEG, with and without a CMYK profile: close to the RGB original', async () => {
    const plain = await raw().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const profiled = await raw().withIccProfile('cmyk').jpeg({ quality: 95 }).toBuffer();
    for (const [name, jpeg] of [
      ['cmyk.jpg', plain],
      ['cmyk-profile.jpg', profiled],
    ] as const) {
      assert.equal((await sharp(jpeg).metadata()).space, 'cmyk', name);
      const image = await tally.decodes(file(name, jpeg));
      // The trip through CMYK is lossy (gamut), but an inverted or channel-swapped reading would be off by 100+.
      assert.ok(
        meanAbsDiff(image.data, suite.scratch.reference.data) < 16,
        `${name}: mean abs diff ${meanAbsDiff(image.data, suite.scratch.reference.data)}`,
      );
    }
  });

  it('16-bit RGB, RGBA and grayscale PNGs: the 8-bit input, exactly, and within rounding once shrunk', async () => {
    const eightBit = { rgb: await raw().png().toBuffer(), gray: await raw().toColourspace('b-w').png().toBuffer() };
    const deep: [string, Buffer, Buffer][] = [
      ['rgb16.png', await raw().toColourspace('rgb16').png().toBuffer(), eightBit.rgb],
      ['rgba16.png', await raw().ensureAlpha(1).toColourspace('rgb16').png().toBuffer(), eightBit.rgb],
      ['gray16.png', await sharp(eightBit.gray).toColourspace('grey16').png().toBuffer(), eightBit.gray],
    ];
    for (const [name, bytes, shallow] of deep) {
      assert.equal((await sharp(bytes).metadata()).depth, 'ushort', name);
      // At full size, exact: each 8-bit level v was stored as v * 257.
      const full = await tally.decodes(file(name, bytes));
      assert.equal(maxAbsDiff(full.data, (await tally.decodes(file(`8bit-${name}.png`, shallow))).data), 0, name);
      // What the model sees, shrunk to its input size: libvips shrinks 8-bit pixels in fixed point and 16-bit
      // ones in floating point, so the two differ by rounding (mostly 0 or 1 level, at most 2).
      const small = await tally.decodes(file(name, bytes), { targetShortSide: 224 });
      const smallShallow = await tally.decodes(file(`8bit-${name}.png`, shallow), { targetShortSide: 224 });
      assert.ok(
        maxAbsDiff(small.data, smallShallow.data) <= 2,
        `${name}: max abs diff ${maxAbsDiff(small.data, smallShallow.data)}`,
      );
      assert.ok(
        meanAbsDiff(small.data, smallShallow.data) < 0.5,
        `${name}: mean abs diff ${meanAbsDiff(small.data, smallShallow.data)}`,
      );
    }
  });

  it('grayscale with alpha, palette with transparency, 1-bit: three equal channels, alpha dropped', async () => {
    const gray = await raw().toColourspace('b-w').raw().toBuffer();
    const variants: [string, Buffer][] = [
      ['gray-alpha.png', await raw().toColourspace('b-w').ensureAlpha(0.4).png().toBuffer()],
      [
        'palette-alpha.png',
        await raw().toColourspace('b-w').ensureAlpha(0.4).png({ palette: true, colours: 256, dither: 0 }).toBuffer(),
      ],
      ['one-bit.png', await raw().toColourspace('b-w').threshold(128).png({ palette: true, colours: 2 }).toBuffer()],
    ];
    for (const [name, bytes] of variants) {
      const image = await tally.decodes(file(name, bytes));
      for (let i = 0; i < image.data.length; i += 3) {
        if (image.data[i] !== image.data[i + 1] || image.data[i] !== image.data[i + 2])
          assert.fail(`${name}: pixel ${i / 3} is not gray`);
      }
      if (name !== 'one-bit.png') {
        const channel0 = Uint8Array.from({ length: gray.length }, (_, i) => image.data[i * 3]);
        assert.ok(
          meanAbsDiff(channel0, gray) < 2,
          `${name}: gray levels kept (mean abs diff ${meanAbsDiff(channel0, gray)})`,
        );
      }
    }
  });
});
