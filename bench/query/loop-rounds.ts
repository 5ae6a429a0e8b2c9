import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { scanTopK } from '../../src/core/store/scan';
import type { Ranking } from '../../src/core/store/types';
import { TuningSession } from '../../src/core/tune/session';
import { STRATEGIES, type Strategy } from '../../src/core/tune/strategy';
import { labelOfId } from './clustered-data';
import { latency, type Latency } from './timing';

/** Classes the simulated users tune heads for: two rare-ish clothing classes' worth of rows, two CIFAR ones. */
const CLASSES = ['clothing/hat', 'clothing/t-shirt', 'cifar/ship', 'cifar/cat'];
const ROUNDS = 25;
const BATCH = 12;
/** Rounds measured per phase of a head's life: trained by 5 rounds, by 10, by 20. */
const PHASES = [
  { name: 'after 5', from: 6, to: 10 },
  { name: 'after 10', from: 11, to: 20 },
  { name: 'after 20', from: 21, to: 25 },
];
/** Rounds after which the store's answers for the head are compared with the float32 scan. */
const CHECKS = [5, 10, 20];

export interface LoopRoundRow {
  dataset: string;
  rows: number;
  strategy: Strategy;
  phase: string;
  samples: number;
  /** submit (labels, SGD, weights, seen) + the next batch's query: what a user waits for after Enter. */
  round: Latency;
  query: Latency;
  /** Per query (a `mixed` batch makes two): rows given the 4-bit pass, rows re-scored from the file. */
  refined: number;
  rescored: number;
  fullScans: number;
  queries: number;
}

export interface LoopHead {
  w: Float32Array;
  bias: number;
}

export interface LoopResult {
  rows: LoopRoundRow[];
  /** The heads at the checked rounds, for the query table. */
  heads: LoopHead[];
  /** "same as the float32 scan" checks passed / made (both rankings at each checked round). */
  identical: string;
}

interface Sample {
  round: number;
  total: number;
  query: number;
  queries: number;
  refined: number;
  rescored: number;
  fullScans: number;
}

/**
 * Heads trained by the loop itself on a clustered store: each starts from 3 examples of a class and runs rounds of
 * `BATCH` with a simulated labeller (+1 for the class, -1 otherwise) through the real TuningSession, for each
 * strategy. Every round is timed; at the checked rounds the store's answers for the head (top and boundary) are
 * compared with `scanTopK` over `vectors`, the same rows with the same seen filter.
 */
export async function benchLoopRounds(
  dataset: string,
  dir: string,
  vectors: Float32Array,
  log: (s: string) => void,
): Promise<LoopResult> {
  const store = await EmbeddedStore.open(dir);
  const count = await store.count();
  const d = store.info.dimension;
  const ids: string[] = [];
  for await (const id of store.ids()) ids.push(id);
  const rowOf = new Map(ids.map((id, row) => [id, row]));
  const headsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-loop-bench-'));
  const rows: LoopRoundRow[] = [];
  const heads: LoopHead[] = [];
  let checks = 0;
  let same = 0;
  try {
    for (const strategy of STRATEGIES) {
      const samples: Sample[] = [];
      for (const cls of CLASSES) {
        const name = `${strategy}-${cls.replace('/', '-')}`;
        const examples = ids.filter((id) => labelOfId(id) === cls).slice(0, 3);
        const session = await TuningSession.create({
          headsDir,
          name,
          store,
          start: { kind: 'examples', ids: examples },
        });
        const seen = new Uint8Array(count);
        for (const id of examples) seen[rowOf.get(id)!] = 1;
        let batch = await session.nextBatch(BATCH, strategy);
        for (let round = 1; round <= ROUNDS; round++) {
          const verdicts = batch.map((c) => ({ id: c.id, score: labelOfId(c.id) === cls ? 1 : -1 }));
          for (const v of verdicts) seen[rowOf.get(v.id)!] = 1;
          const before = { ...store.searchTotals };
          const t0 = performance.now();
          await session.submit(verdicts);
          const t1 = performance.now();
          batch = await session.nextBatch(BATCH, strategy);
          const t2 = performance.now();
          const after = store.searchTotals;
          samples.push({
            round,
            total: t2 - t0,
            query: t2 - t1,
            queries: after.queries - before.queries,
            refined: after.refined - before.refined,
            rescored: after.rescored - before.rescored,
            fullScans: after.fullScans - before.fullScans,
          });
          if (!CHECKS.includes(round)) continue;
          const w = session.head.queryVector();
          heads.push({ w, bias: session.head.b });
          for (const ranking of [{ kind: 'top' }, { kind: 'boundary', bias: session.head.b }] as Ranking[]) {
            // The store's seen set of a head is keyed by the head's id (seen-markers.ts), not by its name.
            const got = await store.query(w, { k: BATCH, ranking, unseenBy: session.markers.key });
            const want = scanTopK(vectors, d, count, w, BATCH, ranking, seen);
            checks++;
            if (JSON.stringify(got.map((c) => [c.id, c.dot])) === JSON.stringify(want.map((h) => [ids[h.row], h.dot])))
              same++;
          }
        }
        await store.resetSeen(session.markers.key);
      }
      for (const phase of PHASES) rows.push(phaseRow(dataset, count, strategy, phase, samples));
      log(`${dataset} ${count.toLocaleString('en')} rows, loop heads, ${strategy}: ${samples.length} rounds`);
    }
  } finally {
    await store.close();
    fs.rmSync(headsDir, { recursive: true, force: true });
  }
  return { rows, heads, identical: `${same}/${checks}` };
}

function phaseRow(
  dataset: string,
  rows: number,
  strategy: Strategy,
  phase: (typeof PHASES)[number],
  all: Sample[],
): LoopRoundRow {
  const samples = all.filter((s) => s.round >= phase.from && s.round <= phase.to);
  const sum = (f: (s: Sample) => number) => samples.reduce((total, s) => total + f(s), 0);
  const queries = sum((s) => s.queries);
  return {
    dataset,
    rows,
    strategy,
    phase: `${phase.name} (rounds ${phase.from}-${phase.to})`,
    samples: samples.length,
    round: latency(samples.map((s) => s.total)),
    query: latency(samples.map((s) => s.query)),
    refined: Math.round(sum((s) => s.refined) / queries),
    rescored: Math.round(sum((s) => s.rescored) / queries),
    fullScans: sum((s) => s.fullScans),
    queries,
  };
}
