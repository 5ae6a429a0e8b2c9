/**
 * What a round costs on Pinecone must not grow with the collection: the same rounds on 2,000 and on 20,000 records
 * (the local stand-in counting every request and byte per endpoint) send the same requests, and bytes that differ
 * only by how the numbers of different records print. Starting and opening a head cost the same at both sizes too.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import {
  clusteredRecords,
  measureRounds,
  seedIndex,
  totalOf,
  type RoundCosts,
  type StepTraffic,
} from '../helpers/pinecone-rounds';
import { tempDir } from '../helpers/temp';

const SIZES = [2_000, 20_000];
const ROUNDS = 3;
const BATCH = 12;
let fake: FakePinecone;

before(async () => {
  fake = await startFakePinecone({ keepBodies: false });
});
after(() => fake.close());

/** Requests per endpoint: these must be equal exactly. */
function requests(step: StepTraffic): Record<string, number> {
  return Object.fromEntries(Object.entries(step).map(([endpoint, t]) => [endpoint, t.requests]));
}

/** Bytes may differ by how the scores and vector components of other records print: within 5 %. */
function assertBytesClose(small: StepTraffic, large: StepTraffic, what: string): void {
  for (const [endpoint, a] of Object.entries(small)) {
    const b = large[endpoint];
    for (const key of ['bytesIn', 'bytesOut'] as const) {
      const ratio = (b[key] + 1) / (a[key] + 1);
      assert.ok(ratio > 0.95 && ratio < 1.05, `${what} ${endpoint} ${key}: ${a[key]} at 2k, ${b[key]} at 20k`);
    }
  }
}

test('a round, a head start and a head open cost the same requests (and bytes within 5 %) at 2,000 and 20,000 records', async (t) => {
  const costs: RoundCosts[] = [];
  for (const n of SIZES) {
    const { records, positive } = clusteredRecords(n, 64, 0.05, n);
    await seedIndex(fake, `rounds-${n}`, records, 'test/clustered-64');
    costs.push(await measureRounds(fake, `rounds-${n}`, positive, await tempDir(t), { rounds: ROUNDS, batch: BATCH }));
  }
  const [small, large] = costs;
  for (const [what, a, b] of [
    ['start', small.start, large.start],
    ['open', small.open, large.open],
    ...small.rounds.map((r, i) => [`round ${i + 1}`, r, large.rounds[i]] as const),
  ] as const) {
    assert.deepEqual(requests(b), requests(a), `${what}: requests per endpoint`);
    assertBytesClose(a, b, what);
    t.diagnostic(
      `${what}: ${totalOf(a).requests} requests, ${totalOf(a).bytesIn + totalOf(a).bytesOut} bytes at 2k; ${totalOf(b).requests}, ${totalOf(b).bytesIn + totalOf(b).bytesOut} at 20k`,
    );
  }
  // What a round is made of, so a change in it is seen here: two queries (the batch, and the head's top 100 for the
  // progress chart's churn), the submit's fetches, one update per shown record (marking it seen), and one index
  // statistics request per summary.
  t.diagnostic(
    `round 1: ${JSON.stringify(requests(small.rounds[0]))}; round 2: ${JSON.stringify(requests(small.rounds[1]))}`,
  );
  const round = requests(small.rounds[1]);
  assert.equal(round['POST /query'], 2);
  assert.equal(round['POST /vectors/update'], BATCH);
  assert.equal(round['POST /describe_index_stats'], 2);
  assert.equal(round['GET /vectors/list'], undefined, 'a round lists nothing');
  // Opening a committed head registers and fills its marker (two writes whatever the size) and counts the store.
  assert.deepEqual(requests(small.open), {
    'POST /describe_index_stats': 1,
    'POST /vectors/update': 1,
    'POST /vectors/upsert': 1,
  });
});
