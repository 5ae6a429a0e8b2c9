/**
 * Hostile and unusual image files, built in memory at test time (nothing big is committed), and the
 * assertions the image tests share.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { decodeImage, type DecodedImage, type DecodeOptions, type DecodeResult } from '../../src/core/embed/image';
import type { ProbeResult } from './image-decode-probe';
import { SHARED_DATA } from './temp';

/** A real photo (the first hat JPEG of the clothing data) that the test variants are made from. */
export const HAT_PHOTO = (() => {
  const dir = path.join(SHARED_DATA, 'clothing/train/hat');
  return path.join(dir, fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort()[0]);
})();

/** A suite's scratch folder, and HAT_PHOTO as 8-bit RGB: what every lossless variant of it must decode to. */
export class ImageScratch {
  private constructor(
    readonly dir: string,
    readonly reference: { data: Buffer; width: number; height: number },
  ) {}

  static async create(prefix: string): Promise<ImageScratch> {
    const { data, info } = await sharp(HAT_PHOTO).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return new ImageScratch(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), { data, width: info.width, height: info.height });
  }

  /** Writes a file into the scratch folder and returns its path. */
  file(name: string, data: Buffer | string): string {
    const p = path.join(this.dir, name);
    fs.writeFileSync(p, data);
    return p;
  }

  /** The reference pixels as a sharp pipeline, to write them in another format. */
  raw(): Sharp {
    const { data, width, height } = this.reference;
    return sharp(data, { raw: { width, height, channels: 3 } });
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An ImageScratch made before the calling file's tests and removed after them: `suite.scratch`. */
export function imageScratchForSuite(prefix: string): { readonly scratch: ImageScratch } {
  const suite = {} as { scratch: ImageScratch };
  before(async () => {
    suite.scratch = await ImageScratch.create(prefix);
  });
  after(() => suite.scratch?.remove());
  return suite;
}

export function expectDecoded(result: DecodeResult): DecodedImage {
  if (!result.ok) assert.fail(`expected a decoded image, got failure: ${result.reason}`);
  const { image } = result;
  assert.equal(image.channels, 3);
  assert.equal(image.data.length, image.width * image.height * 3);
  return image;
}

/** Asserts a refusal whose reason starts with `prefix` (one of DECODE_FAILURES) and returns the reason. */
export function expectRefused(result: DecodeResult, prefix: string): string {
  assert.equal(result.ok, false, `expected a failure starting "${prefix}"`);
  const { reason } = result as { ok: false; reason: string };
  assert.ok(reason.startsWith(prefix), `reason "${reason}" should start with "${prefix}"`);
  return reason;
}

/** Decodes files and counts the outcomes, so a suite can say how many cases it ran. */
export class DecodeTally {
  decoded = 0;
  refused = 0;

  async decodes(file: string, options?: DecodeOptions): Promise<DecodedImage> {
    const image = expectDecoded(await decodeImage(file, options));
    this.decoded++;
    return image;
  }

  /** Expects a refusal whose reason starts with `prefix` (one of DECODE_FAILURES); returns the reason. */
  async refuses(file: string, prefix: string, options?: DecodeOptions): Promise<string> {
    const reason = expectRefused(await decodeImage(file, options), prefix);
    this.refused++;
    return reason;
  }

  summary(suite: string): string {
    return `${suite}: ${this.decoded + this.refused} files ran (${this.decoded} decoded, ${this.refused} refused with a reason)`;
  }
}

export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length, 'same number of pixels');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

export function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length, 'same number of pixels');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

// ---------------------------------------------------------------------------------------------------------
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
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A valid PNG header claiming width x height, followed by a tiny IDAT (one row's worth: the file is a lie). */
export function pngClaiming(width: number, height: number): Buffer {
  return pngRgb(width, height, zlib.deflateSync(Buffer.alloc(1 + width * 3)));
}

/**
 * A complete, valid black RGB PNG of width x height whose pixel data really inflates to every row: the
 * classic decompression bomb (50,000 x 50,000 is 7.5 GB of pixels in about 7 MB of file).
 *
 * Deflating 7.5 GB of zeros would take a minute, so one `pieceBytes` run of zeros is deflated once, ending on
 * a full flush: the piece is byte-aligned and refers to no earlier data, so repeating it is a valid stream
 * that inflates to the same run each time. The rows' filter bytes are 0 too, so all of it is zeros.
 */
export function pngBomb(width: number, height: number, pieceBytes = 1 << 24): Buffer {
  const total = (1 + width * 3) * height;
  const flushed = (n: number) => zlib.deflateRawSync(Buffer.alloc(n), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const piece = flushed(Math.min(pieceBytes, total));
  const parts: Buffer[] = [Buffer.from([0x78, 0xda])]; // zlib header: deflate, 32K window, best compression
  for (let i = 0; i < Math.floor(total / pieceBytes); i++) parts.push(piece);
  if (total % pieceBytes) parts.push(flushed(total % pieceBytes));
  parts.push(Buffer.from([0x03, 0x00])); // an empty final block (fixed Huffman), ending the stream
  // Adler-32 of n zero bytes: a stays 1, b grows by 1 per byte.
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((total % 65521) << 16) | 1) >>> 0);
  parts.push(adler);
  return pngRgb(width, height, Buffer.concat(parts));
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
  for (let i = 2; i + 9 < out.length; ) {
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

// ---------------------------------------------------------------------------------------------------------
// Cost of one decode, measured in a fresh process

const PROBE = path.join(__dirname, 'image-decode-probe.ts');

/** Decodes `file` in a child process (see image-decode-probe.ts): its result, time and peak-RSS growth. */
export function probeDecode(file: string, options: DecodeOptions = {}): ProbeResult {
  const run = spawnSync(process.execPath, ['--import', 'tsx', PROBE, file, JSON.stringify(options)], {
    cwd: path.resolve(__dirname, '../..'),
    encoding: 'utf8',
    timeout: 120_000, // a decoded bomb would take minutes (or be killed for memory): fail instead of hanging
  });
  assert.equal(run.status, 0, `the probe failed (${run.signal ?? run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as ProbeResult;
}
