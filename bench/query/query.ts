import * as os from 'node:os';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { scanTopK } from '../../src/core/store/scan';
import type { Ranking } from '../../src/core/store/types';
import { seenRows } from './data';
import { Latency, timeRuns } from './timing';

export interface QueryRow {
  dataset: string;
  rows: number;
  dimension: number;
  k: number;
  ranking: Ranking['kind'];
  engine: Latency;
  /** Rows given the second (4-bit) pass and rows re-scored exactly, per query (mean), from the store's statistics. */
  refined: number;
  rescored: number;
  fullScans: number;
  identical: string;
  plainJs: Latency;
  usearch1: Latency | null;
  usearchAll: Latency | null;
}

interface UsearchModule {
  exactSearch(
    dataset: Float32Array,
    queries: Float32Array,
    dimensions: number,
    count: number,
    metric: unknown,
    threads?: number,
  ): unknown;
  MetricKind: { IP: unknown };
}

function loadUsearch(): UsearchModule | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional native module: absent or unbuilt on some machines, and then skipped
    return require('usearch') as UsearchModule;
  } catch {
    return null;
  }
}

/** Runs per size: enough for a stable median and p95 without making the 1M rows take minutes. */
function runsFor(rows: number): { engine: number; js: number; usearch: number } {
  if (rows >= 500_000) return { engine: 40, js: 5, usearch: 10 };
  if (rows >= 50_000) return { engine: 100, js: 20, usearch: 40 };
  return { engine: 300, js: 60, usearch: 100 };
}

/** A query head: `w`, and the bias its `boundary` ranking uses. */
export interface QueryHead {
  w: Float32Array;
  bias: number;
}

/**
 * Filtered exact top-k through the store's public `query` (ids, paths and all), against the plain JavaScript scan
 * (the store's previous search, same filter) and usearch's SIMD `exactSearch` (no filter possible), all in this
 * process on the same vectors (`all`, read once by the caller). Every engine answer on the first queries is compared
 * with the plain scan's.
 */
export async function benchQueries(
  dataset: string,
  dir: string,
  all: Float32Array,
  heads: QueryHead[],
  log: (s: string) => void,
): Promise<QueryRow[]> {
  const store = await EmbeddedStore.open(dir);
  const rows = await store.count();
  const { dimension } = store.info;
  const seen = seenRows(rows, 0.05, 11);
  const ids: string[] = [];
  for await (const id of store.ids()) ids.push(id);
  await store.resetSeen('bench');
  await store.markSeen(
    'bench',
    ids.filter((_, r) => seen[r] === 1),
  );
  const usearch = loadUsearch();
  const runs = runsFor(rows);
  const out: QueryRow[] = [];
  const head = (i: number) => heads[((i % heads.length) + heads.length) % heads.length];
  const rankingOf = (kind: Ranking['kind'], i: number): Ranking =>
    kind === 'top' ? { kind } : { kind, bias: head(i).bias };
  for (const kind of ['top', 'boundary'] as const) {
    for (const k of [10, 100]) {
      log(`${dataset} ${rows.toLocaleString('en')} rows, ${kind} k=${k} ...`);
      let refined = 0;
      let rescored = 0;
      let fullScans = 0;
      const engine = await timeRuns(kind === 'top' ? runs.engine : Math.ceil(runs.engine / 4), 3, async (i) => {
        await store.query(head(i).w, { k, ranking: rankingOf(kind, i), unseenBy: 'bench' });
        if (i >= 0) {
          refined += store.lastSearch.refined;
          rescored += store.lastSearch.rescored;
          fullScans += store.lastSearch.fullScan ? 1 : 0;
        }
      });
      const checks = Math.min(3, heads.length);
      let same = 0;
      for (let i = 0; i < checks; i++) {
        const ranking = rankingOf(kind, i);
        const got = await store.query(head(i).w, { k, ranking, unseenBy: 'bench' });
        const want = scanTopK(all, dimension, rows, head(i).w, k, ranking, seen).map((h) => ({
          id: ids[h.row],
          dot: h.dot,
        }));
        if (JSON.stringify(got.map((g) => ({ id: g.id, dot: g.dot }))) === JSON.stringify(want)) same++;
      }
      const plainJs = await timeRuns(runs.js, 1, (i) =>
        scanTopK(all, dimension, rows, head(i).w, k, rankingOf(kind, i), seen),
      );
      const timeUsearch = (threads: number) =>
        usearch && kind === 'top'
          ? timeRuns(runs.usearch, 2, (i) =>
              usearch.exactSearch(all, head(i).w, dimension, k, usearch.MetricKind.IP, threads),
            )
          : null;
      out.push({
        dataset,
        rows,
        dimension,
        k,
        ranking: kind,
        engine,
        refined: Math.round(refined / engine.runs),
        rescored: Math.round(rescored / engine.runs),
        fullScans,
        identical: `${same}/${checks}`,
        plainJs,
        usearch1: await timeUsearch(1),
        usearchAll: await timeUsearch(os.availableParallelism()),
      });
    }
  }
  await store.resetSeen('bench');
  await store.close();
  return out;
}
