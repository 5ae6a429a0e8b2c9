import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OpenTiming {
  openSeconds: number;
  /** Open, then the first query: what a CLI command or the first Next Batch waits for. */
  firstAnswerSeconds: number;
}

export interface MemoryRow {
  rows: number;
  /** After the store's files were dropped from the page cache (null where that is not possible). */
  cold: OpenTiming | null;
  warm: OpenTiming;
  /** How the opening used the search cache ("used": read as saved). */
  cache: string;
  /** Resident memory the opened store adds to a fresh process, in MB, and scaled to one million rows. */
  storeMb: number;
  perMillionMb: number;
  processMb: number;
}

interface Probe {
  rows: number;
  openMs: number;
  firstQueryMs: number;
  cache: string;
  baseRss: number;
  rss: number;
}

function probe(dir: string): Probe {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'memory-probe.ts'), dir],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Probe;
}

/**
 * Drops the store's files from the page cache (GNU dd's `iflag=nocache` asks the kernel to, file by file; dropping
 * every cache at once needs a privilege containers lack). False when dd refused.
 */
function dropFromPageCache(dir: string): boolean {
  try {
    for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
      const file = path.join(dir, name);
      if (fs.statSync(file).isFile()) execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    }
    return true;
  } catch {
    return false;
  }
}

const timing = (p: Probe): OpenTiming => ({
  openSeconds: p.openMs / 1000,
  firstAnswerSeconds: (p.openMs + p.firstQueryMs) / 1000,
});

/** Opens the store in fresh processes (so nothing else is resident): cold, then warm; memory from the warm one. */
export function measureMemory(dir: string): MemoryRow {
  const cold = dropFromPageCache(dir) ? probe(dir) : null;
  const warm = probe(dir);
  const storeMb = (warm.rss - warm.baseRss) / 1e6;
  return {
    rows: warm.rows,
    cold: cold && timing(cold),
    warm: timing(warm),
    cache: warm.cache,
    storeMb,
    perMillionMb: storeMb * (1e6 / warm.rows),
    processMb: warm.rss / 1e6,
  };
}
