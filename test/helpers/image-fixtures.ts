/**
 * Hostile and unusual image files, built in memory at test time (nothing big is committed): PNGs that claim
 * or really hold billions of pixels, PNG chunks, BMPs, and JPEG and GIF headers claiming a size.
 */
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';

// PNG

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

function pngRgb(width: number, height: number, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A valid PNG header claiming width x height, followed by a tiny IDAT (one row's worth: the file is a lie). */
export function pngClaiming(width: number, height: number): Buffer {
  return pngRgb(width, height, zlib.deflateSync(Buffer.alloc(1 + width * 3)));
}

/**
 * A zlib stream that inflates to `total` zero bytes, built in milliseconds whatever the size: one
 * `pieceBytes` run of zeros is deflated once, ending on a full flush, so the piece is byte-aligned and refers
 * to no earlier data, and repeating it is a valid stream that inflates to the same run each time.
 */
export function deflatedZeros(total: number, pieceBytes = 1 << 24): Buffer {
  const flushed = (n: number) =>
    zlib.deflateRawSync(Buffer.alloc(n), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const piece = flushed(Math.min(pieceBytes, total));
  const parts: Buffer[] = [Buffer.from([0x78, 0xda])]; // zlib header: deflate, 32K window, best compression
  for (let i = 0; i < Math.floor(total / pieceBytes); i++) parts.push(piece);
  if (total % pieceBytes) parts.push(flushed(total % pieceBytes));
  parts.push(Buffer.from([0x03, 0x00])); // an empty final block (fixed Huffman), ending the stream
  // Adler-32 of n zero bytes: a stays 1, b grows by 1 per byte.
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((total % 65521) << 16) | 1) >>> 0);
  parts.push(adler);
  return Buffer.concat(parts);
}

/**
 * A complete, valid black RGB PNG of width x height whose pixel data really inflates to every row: the
 * classic decompression bomb (50,000 x 50,000 is 7.5 GB of pixels in about 7 MB of file). The rows' filter
 * bytes are 0 too, so all of the pixel data is zeros.
 */
export function pngBomb(width: number, height: number, pieceBytes?: number): Buffer {
  return pngRgb(width, height, deflatedZeros((1 + width * 3) * height, pieceBytes));
}

/** `png` with one more chunk just after its header (IHDR), e.g. a text or ICC profile chunk. */
export function withPngChunk(png: Buffer, type: string, data: Buffer): Buffer {
  const afterIhdr = PNG_SIGNATURE.length + 4 + 4 + 13 + 4; // length, type, 13 bytes of IHDR, CRC
  return Buffer.concat([png.subarray(0, afterIhdr), pngChunk(type, data), png.subarray(afterIhdr)]);
}

// ---------------------------------------------------------------------------------------------------------
// BMP

/** Writes RGB pixels as an uncompressed bottom-up (or top-down) BMP with a BITMAPINFOHEADER. */
export function encodeBmp(rgb: Uint8Array, width: number, height: number, bpp: 24 | 32, topDown = false): Buffer {
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

// ---------------------------------------------------------------------------------------------------------
// JPEG and GIF headers that claim a size

/** A copy of a baseline or progressive JPEG whose frame header (SOF) claims width x height. */
export function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i + 9 < out.length;) {
    assert.equal(out[i], 0xff, 'a JPEG marker');
    const marker = out[i + 1];
    if (marker >= 0xc0 && marker <= 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + out.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker in the JPEG');
}

/** A one-frame GIF whose screen and frame both claim width x height, with 2 x 2 pixels of data. */
export function gifClaiming(gif2x2: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(gif2x2);
  out.writeUInt16LE(width, 6); // logical screen
  out.writeUInt16LE(height, 8);
  // Past the global colour table and any extensions (introducer 0x21, label, sub-blocks up to a 0 length).
  let descriptor = 13 + (out[10] & 0x80 ? 3 * (2 << (out[10] & 7)) : 0);
  while (out[descriptor] === 0x21) {
    descriptor += 2;
    while (out[descriptor] !== 0) descriptor += out[descriptor] + 1;
    descriptor += 1;
  }
  assert.equal(out[descriptor], 0x2c, 'an image descriptor');
  out.writeUInt16LE(width, descriptor + 5);
  out.writeUInt16LE(height, descriptor + 7);
  return out;
}
