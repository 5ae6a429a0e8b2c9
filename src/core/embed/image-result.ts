/**
 * What decoding an image gives: 8-bit RGB pixels, or the reason the file was refused. Shared by the decoders
 * (image.ts for everything sharp reads, image-bmp.ts for BMP).
 */

export interface DecodedImage {
  /** Pixels, row by row, 3 bytes (R, G, B) each. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

export type DecodeResult = { ok: true; image: DecodedImage } | { ok: false; reason: string };

export const DEFAULT_MAX_PIXELS = 100_000_000;

/** The fixed beginnings of failure reasons, so callers can group failures; details may follow. */
export const DECODE_FAILURES = {
  unreadable: 'cannot read file',
  empty: 'empty file',
  fileTooLarge: 'file too large',
  notAnImage: 'not an image (unknown format)',
  corrupt: 'truncated or corrupt image',
  tooLarge: 'too many pixels',
  unsupported: 'unsupported image variant',
} as const;

export function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}

export function tooLarge(width: number, height: number, maxPixels: number): DecodeResult {
  const mp = (n: number) => `${Math.round(n / 1e5) / 10} MP`;
  return fail(
    `${DECODE_FAILURES.tooLarge}: ${width}x${height} (${mp(width * height)}) is over the limit of ${mp(maxPixels)}`,
  );
}
