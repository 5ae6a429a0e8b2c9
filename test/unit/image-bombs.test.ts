/**
 * Decompression bombs: files whose header claims (and whose compressed data may really hold) billions of
 * pixels, or metadata that inflates to gigabytes. Each is decoded in a fresh process (helpers/
 * image-decode-probe.ts) so its time and peak-RSS growth are its own: refused from the header, in a few
 * milliseconds and megabytes, or, for metadata, decoded without inflating it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { DECODE_FAILURES, DEFAULT_MAX_PIXELS } from '../../src/core/embed/image';
import { deflatedZeros, encodeBmp, gifClaiming, jpegClaiming, pngBomb, withPngChunk } from '../helpers/image-fixtures';
import { imageSuite, probeDecode } from '../helpers/image-suite';

const MiB = 1024 * 1024;
const suite = imageSuite('image bombs');
const { tally, file, raw } = suite;

describe('decompression bombs are refused from their header, fast and in little memory', () => {
  const side = 50_000;
  const claim = `${side}x${side}`;

  function refusedCheaply(name: string, bytes: Buffer): void {
    const probe = probeDecode(file(name, bytes));
    assert.equal(probe.ok, false, `${name} decoded`);
    assert.ok(probe.reason?.startsWith(DECODE_FAILURES.tooLarge), probe.reason);
    assert.ok(probe.reason?.includes(claim), `"${probe.reason}" names the size`);
    assert.ok(probe.ms < 1000, `${probe.ms} ms`);
    assert.ok(probe.peakRssGrowthMB < 64, `peak RSS grew ${probe.peakRssGrowthMB.toFixed(1)} MB`);
    tally.refused++;
    suite.note(
      `${name} (${(bytes.length / MiB).toFixed(2)} MiB claiming ${claim}): refused in ${probe.ms.toFixed(1)} ms, peak RSS +${probe.peakRssGrowthMB.toFixed(1)} MB`,
    );
  }

  it('the bomb builder makes real, decodable images (checked at a size that fits)', async () => {
    // Small pieces, so the picture is many repeated pieces plus a remainder, as in the big one.
    const bytes = pngBomb(3000, 2000, 65_536);
    const image = await tally.decodes(file('small-bomb.png', bytes));
    assert.deepEqual([image.width, image.height], [3000, 2000]);
    assert.ok(
      image.data.every((v) => v === 0),
      'all black',
    );
    assert.ok(bytes.length < 50_000, `${bytes.length} bytes for 18 MB of pixels`);
    // ...and the pixel limit is the caller's to choose.
    assert.match(
      await tally.refuses(file('small-bomb-2.png', bytes), DECODE_FAILURES.tooLarge, { maxPixels: 5_000_000 }),
      /3000x2000 \(6 MP\) is over the limit of 5 MP/,
    );
  });

  it(`a ${claim} PNG whose pixel data really inflates to 7.5 GB`, () => {
    assert.ok(side * side > DEFAULT_MAX_PIXELS);
    refusedCheaply('bomb.png', pngBomb(side, side));
  });

  it(`a baseline and a progressive JPEG claiming ${claim}`, async () => {
    for (const progressive of [false, true]) {
      const jpeg = await raw().jpeg({ progressive }).toBuffer();
      refusedCheaply(`bomb-${progressive ? 'progressive' : 'baseline'}.jpg`, jpegClaiming(jpeg, side, side));
    }
  });

  it(`a GIF claiming ${claim}`, async () => {
    const gif = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#c02020' } })
      .gif()
      .toBuffer();
    refusedCheaply('bomb.gif', gifClaiming(gif, side, side));
  });

  it('a PNG whose text, XMP or ICC profile chunk inflates to 1 GiB: the chunk is not inflated', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c02020' } })
      .png()
      .toBuffer();
    const GiB = deflatedZeros(1024 * MiB);
    const chunks: [string, Buffer][] = [
      ['zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), GiB])], // keyword, NUL, method 0
      ['iTXt', Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\x01\0\0\0', 'latin1'), GiB])], // compressed XMP
      ['iCCP', Buffer.concat([Buffer.from('icc\0\0', 'latin1'), GiB])],
    ];
    for (const [type, data] of chunks) {
      const probe = probeDecode(file(`chunk-bomb-${type}.png`, withPngChunk(png, type, data)));
      assert.equal(probe.ok, true, `${type}: ${probe.reason}`);
      assert.ok(
        probe.ms < 2000 && probe.peakRssGrowthMB < 64,
        `${type}: ${probe.ms} ms, peak RSS +${probe.peakRssGrowthMB} MB`,
      );
      tally.decoded++;
      suite.note(
        `PNG whose ${type} chunk inflates to 1 GiB (${(data.length / MiB).toFixed(2)} MiB): decoded in ${probe.ms.toFixed(1)} ms, peak RSS +${probe.peakRssGrowthMB.toFixed(1)} MB`,
      );
    }
  });

  it(`a BMP claiming ${claim} (its pixels would be read uncompressed)`, () => {
    const bmp = encodeBmp(Uint8Array.from([255, 0, 0]), 1, 1, 24);
    bmp.writeInt32LE(side, 18);
    bmp.writeInt32LE(side, 22);
    refusedCheaply('bomb.bmp', bmp);
  });
});
