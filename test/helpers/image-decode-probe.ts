/**
 * Decodes one file in a fresh process and prints, as JSON, the result and what it cost: wall time and the
 * growth of the process's peak RSS. A child process, because the peak RSS of a test runner that already
 * decoded other images says nothing about this one file.
 *
 * Run: node --import tsx test/helpers/image-decode-probe.ts <file> ['{"maxPixels":...}']
 * Prints: {"ok":false,"reason":"...","ms":12.3,"peakRssGrowthMB":4.1}
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeImage, type DecodeOptions } from '../../src/core/embed/image';

export interface ProbeResult {
  ok: boolean;
  reason?: string;
  width?: number;
  height?: number;
  ms: number;
  peakRssGrowthMB: number;
}

const peakRssMB = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in kilobytes

async function main(): Promise<void> {
  const [file, optionsJson] = process.argv.slice(2);
  const options = JSON.parse(optionsJson ?? '{}') as DecodeOptions;
  // Warm up on a real (tiny) image first: loading sharp and libvips is not the cost being measured.
  const warm = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vt-probe-')), 'warm.gif');
  fs.writeFileSync(warm, Buffer.from('R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=', 'base64'));
  const warmed = await decodeImage(warm);
  fs.rmSync(path.dirname(warm), { recursive: true, force: true });
  if (!warmed.ok) throw new Error(`the warm-up image did not decode: ${warmed.reason}`);

  const before = peakRssMB();
  const started = performance.now();
  const result = await decodeImage(file, options);
  const ms = performance.now() - started;
  const out: ProbeResult = {
    ok: result.ok,
    ...(result.ok ? { width: result.image.width, height: result.image.height } : { reason: result.reason }),
    ms,
    peakRssGrowthMB: peakRssMB() - before,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

void main();
