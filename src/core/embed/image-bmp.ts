/**
 * BMP. libvips reads BMP only through ImageMagick, which the prebuilt sharp binaries do not include, so it
 * has this small decoder. Supported: BITMAPCOREHEADER (OS/2) and BITMAPINFOHEADER..V5; 1/4/8-bit palettes;
 * 16/24/32-bit BI_RGB; 16/32-bit BI_BITFIELDS. Not supported: RLE and embedded JPEG/PNG compression (rare in
 * practice).
 */
import { DEFAULT_MAX_PIXELS, DECODE_FAILURES, DecodeResult, fail, tooLarge } from './image-result';

/** Bytes a BMP's first header fields (up to its size) take: what bmpClaimedSize needs. */
const BMP_SIZE_BYTES = 26;

/**
 * The width and height (rows stored top-down when negative) a BMP's header claims, from its first
 * BMP_SIZE_BYTES bytes: a caller can refuse a huge BMP before reading the rest of it.
 */
export function bmpClaimedSize(head: Buffer): { width: number; rawHeight: number } | undefined {
  if (head.length < BMP_SIZE_BYTES) return undefined;
  const core = head.readUInt32LE(14) === 12; // OS/2 BITMAPCOREHEADER: 16-bit sizes
  return {
    width: core ? head.readUInt16LE(18) : head.readInt32LE(18),
    rawHeight: core ? head.readInt16LE(20) : head.readInt32LE(22),
  };
}

/** Decodes a BMP held in memory. */
export function decodeBmp(buf: Buffer, maxPixels = DEFAULT_MAX_PIXELS): DecodeResult {
  const size = bmpClaimedSize(buf);
  if (!size) return fail(`${DECODE_FAILURES.corrupt} (BMP header cut short)`);
  const pixelOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  const core = headerSize === 12;
  if (!core && headerSize < 40) return fail(`${DECODE_FAILURES.corrupt} (BMP header size ${headerSize})`);
  if (buf.length < 14 + headerSize) return fail(`${DECODE_FAILURES.corrupt} (BMP header cut short)`);

  const { width, rawHeight } = size;
  const bpp = core ? buf.readUInt16LE(24) : buf.readUInt16LE(28);
  const compression = core ? 0 : buf.readUInt32LE(30);
  const topDown = rawHeight < 0; // a negative height means rows are stored top row first
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) return fail(`${DECODE_FAILURES.corrupt} (BMP size ${width}x${rawHeight})`);
  if (width * height > maxPixels) return tooLarge(width, height, maxPixels);

  const BI_RGB = 0,
    BI_BITFIELDS = 3,
    BI_ALPHABITFIELDS = 6;
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    return fail(`${DECODE_FAILURES.unsupported} (BMP compression ${compression}, e.g. RLE)`);
  }

  // Channel masks: explicit for BITFIELDS (inside a V2+ header, or just after a 40-byte one), else defaults.
  let masks: [number, number, number] | undefined;
  if (compression !== BI_RGB) {
    if (bpp !== 16 && bpp !== 32) return fail(`${DECODE_FAILURES.unsupported} (BMP bitfields at ${bpp} bits)`);
    if (buf.length < 66) return fail(`${DECODE_FAILURES.corrupt} (BMP masks cut short)`);
    masks = [buf.readUInt32LE(54), buf.readUInt32LE(58), buf.readUInt32LE(62)];
  } else if (bpp === 16) {
    masks = [0x7c00, 0x03e0, 0x001f]; // 5-5-5
  }

  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    if (![1, 2, 4, 8].includes(bpp)) return fail(`${DECODE_FAILURES.unsupported} (BMP at ${bpp} bits per pixel)`);
    const entrySize = core ? 3 : 4; // BGR (OS/2) or BGRx
    const colorsUsed = core ? 0 : buf.readUInt32LE(46);
    const count = Math.min(colorsUsed || 1 << bpp, 1 << bpp);
    const start = 14 + headerSize + (compression === BI_BITFIELDS && headerSize === 40 ? 12 : 0);
    if (start + count * entrySize > buf.length) return fail(`${DECODE_FAILURES.corrupt} (BMP palette cut short)`);
    palette = new Uint8Array(256 * 3); // indices past the palette read black rather than out of bounds
    for (let i = 0; i < count; i++) {
      const o = start + i * entrySize;
      palette[i * 3] = buf[o + 2];
      palette[i * 3 + 1] = buf[o + 1];
      palette[i * 3 + 2] = buf[o];
    }
  } else if (bpp !== 16 && bpp !== 24 && bpp !== 32) {
    return fail(`${DECODE_FAILURES.unsupported} (BMP at ${bpp} bits per pixel)`);
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4; // rows are padded to 4 bytes
  if (pixelOffset + stride * height > buf.length) return fail(`${DECODE_FAILURES.corrupt} (BMP pixel data cut short)`);

  const out = new Uint8Array(width * height * 3);
  const channel = masks?.map(maskReader);
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (palette) {
        const bit = x * bpp;
        const index = (buf[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        out[o] = palette[index * 3];
        out[o + 1] = palette[index * 3 + 1];
        out[o + 2] = palette[index * 3 + 2];
      } else if (channel) {
        const px = bpp === 16 ? buf.readUInt16LE(row + x * 2) : buf.readUInt32LE(row + x * 4);
        out[o] = channel[0](px);
        out[o + 1] = channel[1](px);
        out[o + 2] = channel[2](px);
      } else {
        const p = row + x * (bpp >> 3); // 24-bit BGR, or 32-bit BGRx whose 4th byte is ignored
        out[o] = buf[p + 2];
        out[o + 1] = buf[p + 1];
        out[o + 2] = buf[p];
      }
    }
  }
  return { ok: true, image: { data: out, width, height, channels: 3 } };
}

/** Turns a channel bit mask into a function extracting that channel scaled to 0..255. */
function maskReader(mask: number): (px: number) => number {
  if (mask === 0) return () => 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return (px) => Math.round((((px & mask) >>> shift) * 255) / max);
}
