import * as path from 'node:path';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import type { TrainingSettings } from '../../src/core/head/linear-head';
import { TuningSession, type Verdict } from '../../src/core/tune/session';
import { tempDir } from './temp';
import { randomUnitVectors } from './vectors';

export const ORACLE_DIMENSION = 16;

/**
 * A store of `count` random 16-d unit vectors (ids and paths `img/<i>.jpg`) whose "class" is the records with a
 * first coordinate above 0.3 (about 12%), an oracle that scores ids by it, and a way to start a head "h" from
 * the first n of them.
 */
export async function oracleStore(t: Parameters<typeof tempDir>[0], count: number, seed: number) {
  const dir = await tempDir(t);
  const D = ORACLE_DIMENSION;
  const store = await EmbeddedStore.openOrCreate(path.join(dir, 'store'), { modelId: 'm', dimension: D });
  const data = randomUnitVectors(count, D, seed);
  const records = Array.from({ length: count }, (_, i) => ({
    id: `img/${i}.jpg`,
    path: `img/${i}.jpg`,
    vector: data.slice(i * D, (i + 1) * D),
  }));
  await store.upsert(records);
  const positive = new Set(records.filter((r) => r.vector[0] > 0.3).map((r) => r.id));
  const oracle = (ids: string[]): Verdict[] => ids.map((id) => ({ id, score: positive.has(id) ? 1 : -1 }));
  const headsDir = path.join(dir, 'heads');
  /** Head "h" started from the first `examples` positives. */
  const startHead = (examples: number, settings?: Partial<TrainingSettings>) =>
    TuningSession.create({
      headsDir,
      name: 'h',
      store,
      start: { kind: 'examples', ids: [...positive].slice(0, examples) },
      ...(settings ? { settings } : {}),
    });
  return { dir, store, headsDir, positive, oracle, startHead };
}
