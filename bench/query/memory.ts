import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export interface MemoryRow {
  rows: number;
  openSeconds: number;
  /** Resident memory the opened store adds to a fresh process, in MB, and scaled to one million rows. */
  storeMb: number;
  perMillionMb: number;
  processMb: number;
}

/** Opens the store in a fresh process (so nothing else is resident) and reads its RSS growth. */
export function measureMemory(dir: string): MemoryRow {
  const probe = path.join(__dirname, 'memory-probe.ts');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', probe, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  const storeMb = (r.rss - r.baseRss) / 1e6;
  return {
    rows: r.rows,
    openSeconds: r.openMs / 1000,
    storeMb,
    perMillionMb: storeMb * (1e6 / r.rows),
    processMb: r.rss / 1e6,
  };
}
