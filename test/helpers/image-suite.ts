/**
 * What the image test files share: the reference photo and a scratch folder per file, a tally of decodes
 * (so each file can say how many cases it ran), the assertions on decode results, and the cost of one decode
 * measured in a fresh process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { decodeImage, type DecodedImage, type DecodeOptions, type DecodeResult } from '../../src/core/embed/image';
import type { ProbeResult } from './image-decode-probe';
import { sharedData } from './temp';

/** A real photo (the first hat JPEG of the clothing data) that the test variants are made from. */
export const HAT_PHOTO = (() => {
  const dir = sharedData('clothing/train/hat');
  return path.join(
    dir,
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort()[0],
  );
})();

/** A suite's scratch folder, and HAT_PHOTO as 8-bit RGB: what every lossless variant of it must decode to. */
export class ImageScratch {
  private constructor(
    readonly dir: string,
    readonly reference: { data: Buffer; width: number; height: number },
  ) {}

  static async create(prefix: string): Promise<ImageScratch> {
    const { data, info } = await sharp(HAT_PHOTO).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return new ImageScratch(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), {
      data,
      width: info.width,
      height: info.height,
    });
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

/** What an image test file works with: a scratch folder, a tally of its decodes, notes of what it measured. */
export interface ImageSuite {
  readonly scratch: ImageScratch;
  readonly tally: DecodeTally;
  /** Writes a file into the scratch folder and returns its path. */
  readonly file: (name: string, data: Buffer | string) => string;
  /** The reference photo as a sharp pipeline. */
  readonly raw: () => Sharp;
  /** A measurement, printed after the tests with the tally. */
  readonly note: (line: string) => void;
}

/**
 * Registers the calling test file's ImageSuite: the scratch folder is made before its tests and removed
 * after them, then the tally and the notes are printed under `name`.
 */
export function imageSuite(name: string): ImageSuite {
  let scratch: ImageScratch | undefined;
  const tally = new DecodeTally();
  const notes: string[] = [];
  before(async () => {
    scratch = await ImageScratch.create(`vt-${name.replace(/\W+/g, '-')}-`);
  });
  after(() => {
    scratch?.remove();
    if (tally.decoded + tally.refused > 0) console.log(tally.summary(name));
    for (const line of notes) console.log(`  ${line}`);
  });
  const current = () => scratch ?? assert.fail('the scratch folder exists only while the tests run');
  return {
    get scratch() {
      return current();
    },
    tally,
    file: (fileName, data) => current().file(fileName, data),
    raw: () => current().raw(),
    note: (line) => void notes.push(line),
  };
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
  const { reason } = result;
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
