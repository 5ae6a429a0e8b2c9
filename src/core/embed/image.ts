/**
 * Decodes an image file into 8-bit RGB pixels (HWC) for the embedding model.
 *
 * Every way a file can fail (empty, too big, not an image, truncated, too many pixels) becomes
 * `{ ok: false, reason }` rather than an exception: a folder of photos always holds a few bad files and
 * indexing must go on. Nothing is read whole before it is known to be worth it: the file's size is checked
 * first, then sharp (libvips) reads the header from the file, and only then, when the pixel count is within
 * the limit, are the pixels decoded. BMP, which this sharp build cannot read, has its own decoder
 * (image-bmp.ts).
 */
import * as fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import type * as SharpModule from 'sharp';
import { bmpClaimedSize, decodeBmp } from './image-bmp';
import { DECODE_FAILURES, DEFAULT_MAX_PIXELS, DecodedImage, DecodeResult, fail, tooLarge } from './image-result';

export { DECODE_FAILURES, DEFAULT_MAX_PIXELS, decodeBmp };
export type { DecodedImage, DecodeResult };

export interface DecodeOptions {
  /** Refuse images with more pixels than this, before decoding them. Default 100 megapixels. */
  maxPixels?: number;
  /**
   * Refuse files larger than this, unread. Default 256 MiB: far above any photo (a 100 MP camera's JPEG
   * is about 50 MB), well below what would strain memory.
   */
  maxFileBytes?: number;
  /**
   * When the image's short side is larger than this, shrink it so the short side is exactly this (aspect kept,
   * the long side rounded as CLIPImageProcessor does). JPEGs then decode at reduced scale directly.
   */
  targetShortSide?: number;
}

/** Extensions (lower case, no dot) of the files we try to decode. */
export const IMAGE_EXTENSIONS: readonly string[] = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp', 'tiff', 'tif'];

export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

/**
 * What sharp may decode, by the format it finds in the content (the extension does not count: a PNG named
 * .jpg is still a photo). libvips also reads SVG and its own .v format; a file under an image name holding
 * those is refused: SVG is a drawing that can reference other files, and neither is a photo.
 */
const PHOTO_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

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

/** What require('sharp') gives: the sharp function, carrying the module's other exports (concurrency, cache...). */
export type SharpLib = typeof SharpModule.default & Omit<typeof SharpModule, 'default'>;
let sharpLib: SharpLib | undefined;
/**
 * sharp loads a native library (libvips); it is loaded on first use so importing this module stays cheap. The
 * engine's one way to sharp (native-threads.ts sets libvips's limits through it too).
 */
export function getSharp(): SharpLib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: an import would load libvips with this module
  sharpLib ??= require('sharp') as SharpLib;
  return sharpLib;
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
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: 3,
  };
}

export async function decodeImage(file: string, opts: DecodeOptions = {}): Promise<DecodeResult> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let handle: fs.FileHandle;
  try {
    // Non-blocking, so that opening a named pipe given an image name returns (to be refused below) instead
    // of waiting forever for a writer. It changes nothing for regular files.
    handle = await fs.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (err) {
    return unreadable(err);
  }
  let signature: string | undefined;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return fail(`${DECODE_FAILURES.unreadable} (not a regular file)`);
    if (stat.size === 0) return fail(DECODE_FAILURES.empty);
    if (stat.size > maxFileBytes)
      return fail(
        `${DECODE_FAILURES.fileTooLarge}: ${formatBytes(stat.size)} is over the limit of ${formatBytes(maxFileBytes)}`,
      );
    const head = await readAt(handle, 0, Math.min(stat.size, 64));
    signature = formatOfSignature(head);
    if (signature === 'BMP') {
      // BMP stores its pixels uncompressed: check the size it claims before reading them.
      const claimed = bmpClaimedSize(head);
      const rows = Math.abs(claimed?.rawHeight ?? 0);
      if (claimed && claimed.width * rows > maxPixels) return tooLarge(claimed.width, rows, maxPixels);
      return await decodeBmpFile(await readAt(handle, 0, stat.size), maxPixels, opts.targetShortSide);
    }
  } catch (err) {
    return unreadable(err);
  } finally {
    await handle.close();
  }
  return decodeWithSharp(file, signature, maxPixels, opts.targetShortSide);
}

function unreadable(err: unknown): DecodeResult {
  const code = (err as NodeJS.ErrnoException).code;
  return fail(`${DECODE_FAILURES.unreadable} (${code ?? String(err)})`);
}

/** Up to `length` bytes from `position` (fewer if the file is shorter by now). */
async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}

function formatBytes(n: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) return `${n / size >= 10 ? Math.round(n / size) : Math.round((n / size) * 10) / 10} ${unit}`;
  }
  return `${n} bytes`;
}

/**
 * The image format a file's first bytes announce, if any: to tell a damaged photo (which libvips may call
 * "unsupported", as when a TIFF's directory is cut off) from a file that never was one, and to find BMPs.
 */
function formatOfSignature(head: Buffer): string | undefined {
  const ascii = (from: number, to: number) => head.toString('latin1', from, to);
  if (head[0] === 0xff && head[1] === 0xd8) return 'JPEG';
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a) return 'PNG';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'GIF';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP';
  if (['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(ascii(0, 4))) return 'TIFF'; // classic and BigTIFF
  if (ascii(0, 2) === 'BM') return 'BMP';
  return undefined;
}

async function decodeBmpFile(buf: Buffer, maxPixels: number, targetShortSide?: number): Promise<DecodeResult> {
  const decoded = decodeBmp(buf, maxPixels);
  if (!decoded.ok || !targetShortSide || Math.min(decoded.image.width, decoded.image.height) <= targetShortSide)
    return decoded;
  return { ok: true, image: await resizeShortSide(decoded.image, targetShortSide) };
}

/** Sorts a sharp/libvips error message into one of our reasons, naming the format when the file announced one. */
function classifySharpError(err: unknown, signature: string | undefined): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return DECODE_FAILURES.tooLarge;
  if (/Input file is missing/i.test(message)) return `${DECODE_FAILURES.unreadable} (ENOENT)`; // deleted meanwhile
  if (/unsupported image format/i.test(message)) {
    return signature
      ? `${DECODE_FAILURES.corrupt} (starts like a ${signature} file but cannot be read)`
      : DECODE_FAILURES.notAnImage;
  }
  // Anything else from the decoder (premature end, bad Huffman code, CRC error, ...) means a damaged file.
  const firstLine = message.split('\n')[0].trim();
  const header = /^Input (?:file|buffer) has corrupt header:?\s*(.*)$/i.exec(firstLine);
  if (header)
    return `${DECODE_FAILURES.corrupt} (corrupt ${signature ?? 'image'} header${header[1] ? `: ${header[1]}` : ''})`;
  const named = !signature || firstLine.toLowerCase().includes(signature.toLowerCase());
  return `${DECODE_FAILURES.corrupt} (${named ? '' : `${signature}: `}${firstLine})`;
}

async function decodeWithSharp(
  file: string,
  signature: string | undefined,
  maxPixels: number,
  targetShortSide?: number,
): Promise<DecodeResult> {
  const sharp = getSharp();
  let width: number;
  let height: number;
  let upright: { width: number; height: number };
  try {
    // Header only, read by libvips from the file. sharp's own limit would refuse to even read the header of
    // a huge image, so it is lifted here and the dimensions are checked by us, before any pixel is decoded
    // (a 7 MB PNG can hold 50,000 x 50,000 black pixels).
    const meta = await sharp(file, { limitInputPixels: false }).metadata();
    if (!PHOTO_FORMATS.has(meta.format ?? ''))
      return fail(
        `${DECODE_FAILURES.unsupported} (${(meta.format ?? 'unknown').toUpperCase()} content: not a photo format)`,
      );
    width = meta.width ?? 0;
    height = meta.height ?? 0;
    // EXIF orientations 5-8 swap the axes; the resize target is in the upright image's axes.
    upright = meta.autoOrient ?? { width, height };
  } catch (err) {
    return fail(classifySharpError(err, signature));
  }
  if (width <= 0 || height <= 0) return fail(`${DECODE_FAILURES.corrupt} (size ${width}x${height})`);
  if (width * height > maxPixels) return tooLarge(width, height, maxPixels);

  try {
    // pages: 1 = first frame of an animation; limitInputPixels again, as a second line of defence.
    let pipeline = sharp(file, { limitInputPixels: maxPixels, pages: 1, failOn: 'error' }).autoOrient();
    if (targetShortSide && Math.min(upright.width, upright.height) > targetShortSide) {
      const [w, h] = shortSideResizeDims(upright.width, upright.height, targetShortSide);
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
    return {
      ok: true,
      image: {
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        width: info.width,
        height: info.height,
        channels: 3,
      },
    };
  } catch (err) {
    return fail(classifySharpError(err, signature));
  }
}
