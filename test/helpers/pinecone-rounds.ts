import * as path from 'node:path';
import { DEFAULT_TRAINING } from '../../src/core/head/linear-head';
import { toMetadata } from '../../src/core/store/pinecone/metadata';
import { PineconeStore } from '../../src/core/store/pinecone/pinecone-store';
import type { VectorRecord } from '../../src/core/store/types';
import { seededRandom } from '../../src/core/util/random';
import type { EngineConfig } from '../../src/protocol/worker-protocol';
import { Engine } from '../../src/worker/engine';
import type { EndpointTraffic, FakePinecone, FakeRecord } from './fake-pinecone';

/**
 * `n` records of `dimension`-d unit vectors in clusters, as embeddings of a photo collection are: 20 cluster
 * centres, each record a noisy copy of one; `share` of the records (the positives) come from one cluster of their
 * own. Ids and paths look like photo paths. Seeded.
 */
export function clusteredRecords(
  n: number,
  dimension: number,
  share: number,
  seed: number,
): { records: VectorRecord[]; positive: Set<string> } {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: 21 }, () => Float32Array.from({ length: dimension }, gaussian));
  const records: VectorRecord[] = [];
  const positive = new Set<string>();
  for (let i = 0; i < n; i++) {
    const isPositive = random() < share;
    const centre = centres[isPositive ? 20 : Math.floor(random() * 20)];
    const v = centre.map((c) => c + 0.8 * gaussian());
    const norm = Math.hypot(...v);
    const id = `photos/${String(i % 100).padStart(2, '0')}/img_${String(i).padStart(7, '0')}.jpg`;
    if (isPositive) positive.add(id);
    records.push({
      id,
      path: id,
      hash: i.toString(16).padStart(64, '0'),
      size: 100_000 + i,
      mtimeMs: 1.7e12 + i,
      vector: v.map((x) => x / norm),
    });
  }
  return { records, positive };
}

/** Requests and bytes per endpoint of one step, as the stand-in counted them. */
export type StepTraffic = Record<string, EndpointTraffic>;

export interface RoundCosts {
  /** Starting a head from example images (its marker filled on every record). */
  start: StepTraffic;
  /** Opening the committed head again (as a second window or the next CLI command does). */
  open: StepTraffic;
  /** Each round: the next batch (query, summary), then the scores submitted (fetches, mark seen, summary). */
  rounds: StepTraffic[];
  /** Reset Seen after the rounds (labelled records marked again). */
  reset: StepTraffic;
}

/**
 * Puts `records` into a Pinecone index of the stand-in as the adapter writes them (metadata from the adapter's own
 * `toMetadata`), directly: the round costs measured afterwards do not depend on how the records got there, and a
 * million records over HTTP would take minutes. The store record is written by connecting through the adapter.
 */
export async function seedIndex(
  fake: FakePinecone,
  indexName: string,
  records: VectorRecord[],
  modelId: string,
): Promise<void> {
  const store = await PineconeStore.connect({
    apiKey: fake.apiKey,
    controllerHostUrl: fake.controllerHostUrl,
    indexName,
    modelId,
    dimension: records[0].vector.length,
  });
  await store.close();
  const data = new Map<string, FakeRecord>();
  for (const r of records) data.set(r.id, { id: r.id, values: Array.from(r.vector), metadata: toMetadata(r) });
  fake.indexes.get(indexName)!.namespaces.set('__default__', data);
}

/**
 * Runs the extension's engine (in this process, the same handlers the worker serves) on a seeded index: starts a
 * head from three positives, opens it again, then runs `rounds` rounds of `batch` records scored by the truth (one
 * record per batch skipped). Returns what each step cost on the wire.
 */
export async function measureRounds(
  fake: FakePinecone,
  indexName: string,
  positive: Set<string>,
  workspace: string,
  options: { rounds: number; batch: number },
): Promise<RoundCosts> {
  const engine = new Engine(() => {});
  const config: EngineConfig = {
    workspaceRoot: workspace,
    storeDir: path.join(workspace, '.vectortune/store'),
    headsDir: path.join(workspace, 'vectortune/heads'),
    model: { ref: 'unused/no-model', cacheDir: path.join(workspace, '.cache'), allowDownload: false },
    training: { ...DEFAULT_TRAINING },
    pinecone: {
      indexName,
      cloud: 'aws',
      region: 'us-east-1',
      controllerHostUrl: fake.controllerHostUrl,
      apiKey: fake.apiKey,
    },
  };
  await engine.configure(config);
  const measure = async (step: () => Promise<unknown>): Promise<StepTraffic> => {
    fake.traffic.reset();
    await step();
    return fake.traffic.snapshot();
  };
  const examples = [...positive].sort().slice(0, 3);
  const start = await measure(() =>
    engine.startHead({ name: 'hat', start: { kind: 'examples', ids: examples }, overwrite: false }),
  );
  const headDir = path.join(config.headsDir, 'hat');
  const open = await measure(() => engine.openHead({ headDir }));
  const rounds: StepTraffic[] = [];
  for (let round = 0; round < options.rounds; round++) {
    let candidates: { id: string }[] = [];
    const next = await measure(async () => {
      ({ candidates } = await engine.nextBatch({ headDir, k: options.batch, strategy: 'top' }));
    });
    const submit = await measure(() =>
      engine.submit({
        headDir,
        verdicts: candidates.map((c, i) => ({ id: c.id, score: i === 0 ? null : positive.has(c.id) ? 1 : -1 })),
      }),
    );
    rounds.push(sumTraffic(next, submit));
  }
  const reset = await measure(() => engine.resetSeen());
  await engine.dispose();
  return { start, open, rounds, reset };
}

function sumTraffic(...steps: StepTraffic[]): StepTraffic {
  const out: StepTraffic = {};
  for (const step of steps)
    for (const [endpoint, t] of Object.entries(step)) {
      const e = (out[endpoint] ??= { requests: 0, bytesIn: 0, bytesOut: 0 });
      e.requests += t.requests;
      e.bytesIn += t.bytesIn;
      e.bytesOut += t.bytesOut;
    }
  return out;
}

/** Requests and bytes over every endpoint of a step. */
export function totalOf(step: StepTraffic): EndpointTraffic {
  return Object.values(step).reduce(
    (sum, t) => ({
      requests: sum.requests + t.requests,
      bytesIn: sum.bytesIn + t.bytesIn,
      bytesOut: sum.bytesOut + t.bytesOut,
    }),
    { requests: 0, bytesIn: 0, bytesOut: 0 },
  );
}
