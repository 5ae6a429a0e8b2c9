/**
 * Decodes an image file into 8-bit RGB pixels (HWC) for the embedding model.
 *
 * Every way a file can fail (empty, not an image, truncated, too many pixels) becomes `{ ok: false, reason }`
 * rather than an exception: a folder of photos always holds a few bad files and indexing must go on.
 * sharp (libvips) does the decoding; BMP, which this sharp build cannot read, has its own small decoder below.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Sharp, SharpOptions } from 'sharp';

export interface DecodedImage {
  /** Pixels, row by row, 3 bytes (R, G, B) each. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

export type DecodeResult = { ok: true; image: DecodedImage } | { ok: false; reason: string };

export interface DecodeOptions {
  /** Refuse images with more pixels than this, before decoding them. Default 100 megapixels. */
  maxPixels?: number;
  /**
   * When the image's short side is larger than this, shrink it so the short side is exactly this (aspect kept,
   * the long side rounded as CLIPImageProcessor does). JPEGs then decode at reduced scale directly.
   */
  targetShortSide?: number;
}

/** Extensions (lower case, no dot) of the files we try to decode. */
export const IMAGE_EXTENSIONS: readonly string[] = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp', 'tiff', 'tif'];

export const DEFAULT_MAX_PIXELS = 100_000_000;

/** The fixed beginnings of failure reasons, so callers can group failures; details may follow. */
export const DECODE_FAILURES = {
  unreadable: 'cannot read file',
  empty: 'empty file',
  notAnImage: 'not an image (unknown format)',
  corrupt: 'truncated or corrupt image',
  tooLarge: 'too many pixels',
  unsupported: 'unsupported image variant',
} as const;

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).slice(1).toLowerCase());
}

/**
 * The size CLIPImageProcessor (transformers.js) resizes a width x height image to when its short side must
 * become `shortSide`: same factor on both axes, each side floored after rounding to 2 decimals. Resizing to
 * exactly this size beforehand makes the processor's own resize a no-op.
 */
export function shortSideResizeDims(width: number, height: number, shortSide: number): [number, number] {
  const factor = Math.max(shortSide / width, shortSide / height);
  return [Math.floor(Number((width * factor).toFixed(2))), Math.floor(Number((height * factor).toFixed(2)))];
}

type SharpFactory = (input?: Buffer, options?: SharpOptions) => Sharp;
let sharpModule: SharpFactory | undefined;
/** sharp loads a native library; load it on first use so importing this module stays cheap. */
function getSharp(): SharpFactory {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sharpModule ??= require('sharp') as SharpFactory;
  return sharpModule;
}

/**
 * Resizes decoded pixels so the short side is `shortSide` (see shortSideResizeDims), with libvips's
 * antialiased cubic reduce; returns the image itself when it already has that size.
 */
export async function resizeShortSide(image: DecodedImage, shortSide: number): Promise<DecodedImage> {
  const [w, h] = shortSideResizeDims(image.width, image.height, shortSide);
  if (w === image.width && h === image.height) return image;
  const { data, info } = await getSharp()(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), {
    raw: { width: image.width, height: image.height, channels: 3 },
    limitInputPixels: false,
  })
    .resize(w, h, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

export async function decodeImage(file: string, opts: DecodeOptions = {}): Promise<DecodeResult> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(`${DECODE_FAILURES.unreadable} (${code ?? String(err)})`);
  }
  if (buf.length === 0) return fail(DECODE_FAILURES.empty);
  if (isBmp(buf)) return decodeBmpFile(buf, maxPixels, opts.targetShortSide);
  return decodeWithSharp(buf, maxPixels, opts.targetShortSide);
}

function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}

function tooLarge(width: number, height: number, maxPixels: number): DecodeResult {
  const mp = (n: number) => `${Math.round(n / 1e5) / 10} MP`;
  return fail(`${DECODE_FAILURES.tooLarge}: ${width}x${height} (${mp(width * height)}) is over the limit of ${mp(maxPixels)}`);
}

/** Sorts a sharp/libvips error message into one of our reasons. */
function classifySharpError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(message)) return DECODE_FAILURES.notAnImage;
  if (/pixel limit/i.test(message)) return DECODE_FAILURES.tooLarge;
  // Anything else from the decoder (premature end, bad Huffman code, CRC error, ...) means a damaged file.
  const firstLine = message.split('\n')[0].trim();
  return `${DECODE_FAILURES.corrupt} (${firstLine})`;
}

async function decodeWithSharp(buf: Buffer, maxPixels: number, targetShortSide?: number): Promise<DecodeResult> {
  const sharp = getSharp();
  let width: number;
  let height: number;
  let orientation: number;
  try {
    // Header only. sharp's own limit would refuse to even read the header of a huge image, so it is lifted
    // here and the dimensions are checked by us, before any pixel is decoded (a 1 MB PNG can claim 400 MP).
    const meta = await sharp(buf, { limitInputPixels: false }).metadata();
    width = meta.width ?? 0;
    height = meta.height ?? 0;
    orientation = meta.orientation ?? 1;
  } catch (err) {
    return fail(classifySharpError(err));
  }
  if (width <= 0 || height <= 0) return fail(DECODE_FAILURES.corrupt);
  if (width * height > maxPixels) return tooLarge(width, height, maxPixels);

  try {
    // pages: 1 = first frame of an animation; limitInputPixels again, as a second line of defence.
    let pipeline = sharp(buf, { limitInputPixels: maxPixels, pages: 1, failOn: 'error' }).rotate();
    // EXIF orientations 5-8 swap the axes; the resize target is in the upright image's axes.
    const [uprightW, uprightH] = orientation >= 5 ? [height, width] : [width, height];
    if (targetShortSide && Math.min(uprightW, uprightH) > targetShortSide) {
      const [w, h] = shortSideResizeDims(uprightW, uprightH, targetShortSide);
      // Cubic (Catmull-Rom) reduce is libvips's equivalent of PIL's antialiased bicubic, which CLIP used.
      pipeline = pipeline.resize(w, h, { fit: 'fill', kernel: 'cubic' });
    }
    const { data, info } = await pipeline
      .toColourspace('srgb') // CMYK, grayscale, 16-bit and ICC-tagged inputs all become 8-bit sRGB
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      return fail(`${DECODE_FAILURES.unsupported} (${info.channels} channels after conversion)`);
    }
    return { ok: true, image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 } };
  } catch (err) {
    return fail(classifySharpError(err));
  }
}

// ---------------------------------------------------------------------------------------------------------
// BMP. libvips reads BMP only through ImageMagick, which the prebuilt sharp binaries do not include.
// Supported: BITMAPCOREHEADER (OS/2) and BITMAPINFOHEADER..V5; 1/4/8-bit palettes; 16/24/32-bit BI_RGB;
// 16/32-bit BI_BITFIELDS. Not supported: RLE and embedded JPEG/PNG compression (rare in practice).

function isBmp(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d; // "BM"
}

async function decodeBmpFile(buf: Buffer, maxPixels: number, targetShortSide?: number): Promise<DecodeResult> {
  const decoded = decodeBmp(buf, maxPixels);
  if (!decoded.ok || !targetShortSide || Math.min(decoded.image.width, decoded.image.height) <= targetShortSide) return decoded;
  return { ok: true, image: await resizeShortSide(decoded.image, targetShortSide) };
}

/** Decodes a BMP held in memory. Exported for tests. */
export function decodeBmp(buf: Buffer, maxPixels = DEFAULT_MAX_PIXELS): DecodeResult {
  if (buf.length < 26) return fail(`${DECODE_FAILURES.corrupt} (BMP header cut short)`);
  const pixelOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  const core = headerSize === 12;
  if (!core && headerSize < 40) return fail(`${DECODE_FAILURES.corrupt} (BMP header size ${headerSize})`);
  if (buf.length < 14 + headerSize) return fail(`${DECODE_FAILURES.corrupt} (BMP header cut short)`);

  const width = core ? buf.readUInt16LE(18) : buf.readInt32LE(18);
  const rawHeight = core ? buf.readInt16LE(20) : buf.readInt32LE(22);
  const bpp = core ? buf.readUInt16LE(24) : buf.readUInt16LE(28);
  const compression = core ? 0 : buf.readUInt32LE(30);
  const topDown = rawHeight < 0; // a negative height means rows are stored top row first
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) return fail(`${DECODE_FAILURES.corrupt} (BMP size ${width}x${rawHeight})`);
  if (width * height > maxPixels) return tooLarge(width, height, maxPixels);

  const BI_RGB = 0, BI_BITFIELDS = 3, BI_ALPHABITFIELDS = 6;
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
