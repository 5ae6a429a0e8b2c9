import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { TuningSession } from '../../src/core/tune/session';
import type { Strategy } from '../../src/core/tune/strategy';
import { randomHeads } from './data';
import { latency, Latency } from './timing';

export interface RoundRow {
  dataset: string;
  rows: number;
  strategy: Strategy;
  batch: number;
  labelsAtEnd: number;
  /** submit: label append (fsync) + SGD over all labels + weights write (fsync, rename) + mark seen (fsync). */
  submit: Latency;
  /** nextBatch: the query for the next batch. */
  query: Latency;
  /** The whole step a user waits for after pressing Enter: submit + next query. */
  total: Latency;
}

/**
 * The whole Next Batch step through the real `TuningSession` on the real store and head files: what the panel's
 * Enter costs. A simulated labeller scores by a hidden direction, so the head moves as it would for a user.
 */
export async function benchRounds(
  dataset: string,
  dir: string,
  strategy: Strategy,
  rounds: number,
  log: (s: string) => void,
): Promise<RoundRow> {
  const store = await EmbeddedStore.open(dir);
  const rows = await store.count();
  const [start, truth] = randomHeads(2, store.info.dimension, 99);
  const headsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-round-bench-'));
  const batch = 12;
  try {
    const session = await TuningSession.create({
      headsDir,
      name: 'bench-round',
      store,
      start: { kind: 'prompt', prompt: 'bench', vector: start },
    });
    const submit: number[] = [];
    const query: number[] = [];
    let candidates = await session.nextBatch(batch, strategy);
    for (let r = -2; r < rounds; r++) {
      const ids = candidates.map((c) => c.id);
      const vectors = new Map((await store.fetch(ids)).map((v) => [v.id, v.vector]));
      const verdicts = ids.map((id) => ({ id, score: dotOf(vectors.get(id)!, truth) > 0.5 ? 1 : -1 }));
      const t0 = performance.now();
      await session.submit(verdicts);
      const t1 = performance.now();
      candidates = await session.nextBatch(batch, strategy);
      const t2 = performance.now();
      if (r >= 0) {
        submit.push(t1 - t0);
        query.push(t2 - t1);
      }
    }
    log(`${dataset} ${rows.toLocaleString('en')} rows, ${strategy}: ${rounds} rounds measured`);
    return {
      dataset,
      rows,
      strategy,
      batch,
      labelsAtEnd: session.labelCount,
      submit: latency(submit),
      query: latency(query),
      total: latency(submit.map((s, i) => s + query[i])),
    };
  } finally {
    await store.resetSeen('bench-round');
    await store.close();
    fs.rmSync(headsDir, { recursive: true, force: true });
  }
}

function dotOf(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
