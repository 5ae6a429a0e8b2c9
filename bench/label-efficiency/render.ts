import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Renders an SVG to PNG with Debian's headless chromium, so the chart can be looked at (and attached where SVG
 * is not shown). Optional: without chromium the SVG alone is written. Returns the PNG path, or null.
 */
export async function renderPng(svgFile: string, pngFile: string): Promise<string | null> {
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p) => spawnSync(p, ['--version']).status === 0,
  );
  if (!chromium) return null;
  // A throwaway profile: chromium otherwise writes into ~/.config and may find a lock held by another run.
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-chromium-'));
  try {
    const r = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--screenshot=${pngFile}`,
        '--window-size=900,600',
        `file://${path.resolve(svgFile)}`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    return r.status === 0 ? pngFile : null;
  } finally {
    await fs.rm(profile, { recursive: true, force: true });
  }
}
