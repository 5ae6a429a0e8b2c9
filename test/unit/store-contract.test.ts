import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { PineconeStore, type PineconeStoreOptions } from '../../src/core/store/pinecone/pinecone-store';
import type { VectorStore } from '../../src/core/store/types';
import { startFakePinecone, type FakePinecone, type MissingFieldReading } from '../helpers/fake-pinecone';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';
import { bruteForceTopK, seededRecords } from '../helpers/store-reference';

/**
 * One contract, every store: the embedded store and the Pinecone store (against the local fake of
 * Pinecone's HTTP API) must give the same answers on the same data.
 */
const D = 24;
type TestContext = { after(fn: () => Promise<void> | void): void };
type Factory = (t: TestContext) => Promise<VectorStore>;

const records = (n: number, seed: number, prefix = 'r') => seededRecords(n, D, seed, prefix);
const bruteForce = bruteForceTopK;

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const id of it) out.push(id);
  return out;
}

function storeContract(name: string, make: Factory): void {
  describe(`VectorStore contract: ${name}`, () => {
    test('top-k (top and boundary, seen-filtered and not) equals brute force', async (t) => {
      const store = await make(t);
      const all = records(300, 1);
      await store.prepareMarker('h'); // before any record: records upserted later are unseen too
      await store.upsert(all.slice(0, 200));
      await store.upsert(all.slice(200));
      const seen = new Set(all.filter((_, i) => i % 7 === 0).map((r) => r.id));
      await store.markSeen('h', [...seen]);
      for (let q = 0; q < 3; q++) {
        const w = randomUnitVectors(1, D, 100 + q);
        for (const ranking of [{ kind: 'top' } as const, { kind: 'boundary', bias: 0.1 * q - 0.1 } as const]) {
          for (const k of [1, 10, 50]) {
            const got = await store.query(w, { k, ranking, unseenBy: 'h' });
            const want = bruteForce(all, w, k, ranking, seen);
            assert.deepEqual(
              got.map((c) => c.id),
              want.map((c) => c.id),
              `q=${q} ${ranking.kind} k=${k}`,
            );
            got.forEach((c, i) => assert.ok(Math.abs(c.dot - want[i].dot) < 1e-5, `dot of ${c.id}`));
            assert.equal(got[0].path, `img/${got[0].id}.jpg`);
          }
        }
        const unfiltered = await store.query(w, { k: 10, ranking: { kind: 'top' } });
        assert.deepEqual(
          unfiltered.map((c) => c.id),
          bruteForce(all, w, 10, { kind: 'top' }, new Set()).map((c) => c.id),
        );
      }
      assert.deepEqual(await store.query(randomUnitVectors(1, D, 9), { k: 0, ranking: { kind: 'top' } }), []);
      await assert.rejects(store.query(new Float32Array(3), { k: 1, ranking: { kind: 'top' } }), /3 dimensions/);
    });

    test('seen: per head, idempotent, unknown ids ignored, reset of one head leaves the others', async (t) => {
      const store = await make(t);
      const all = records(40, 2);
      await store.upsert(all);
      for (const head of ['a', 'b', 'odd head/name', 'never']) await store.prepareMarker(head);
      await store.prepareMarker('a'); // idempotent
      await store.markSeen('a', ['r1', 'r2', 'r3', 'missing']);
      await store.markSeen('a', ['r2']);
      await store.markSeen('b', ['r3', 'r4']);
      await store.markSeen('odd head/name', ['r5']);
      assert.equal(await store.seenCount('a'), 3);
      assert.equal(await store.seenCount('b'), 2);
      assert.equal(await store.seenCount('odd head/name'), 1);
      assert.equal(await store.seenCount('never'), 0);
      const w = all[3].vector;
      const ids = async (head?: string) =>
        (await store.query(w, { k: 40, ranking: { kind: 'top' }, unseenBy: head })).map((c) => c.id).sort();
      assert.equal((await ids('a')).length, 37);
      assert.ok(!(await ids('a')).includes('r3') && !(await ids('b')).includes('r3'));
      assert.ok((await ids('odd head/name')).includes('r3'));
      await store.resetSeen('a');
      assert.equal(await store.seenCount('a'), 0);
      assert.equal(await store.seenCount('b'), 2, 'resetting one head leaves another alone');
      assert.equal((await ids('a')).length, 40);
      assert.equal((await ids('b')).length, 38);
      // Replacing a record keeps its seen state (seen is by id).
      await store.upsert([{ ...records(1, 77)[0], id: 'r4', path: 'img/new.jpg' }]);
      assert.equal(await store.seenCount('b'), 2);
      assert.ok(!(await ids('b')).includes('r4'));
    });

    test('unmark: those records of that head only match unseen again (a removed label)', async (t) => {
      const store = await make(t);
      const all = records(30, 5);
      await store.upsert(all);
      for (const head of ['a', 'b']) await store.prepareMarker(head);
      await store.markSeen('a', ['r1', 'r2', 'r3']);
      await store.markSeen('b', ['r2']);
      await store.unmarkSeen('a', ['r2', 'missing']);
      assert.equal(await store.seenCount('a'), 2);
      assert.equal(await store.seenCount('b'), 1, 'another head keeps its mark');
      const unseen = (await store.query(all[2].vector, { k: 30, ranking: { kind: 'top' }, unseenBy: 'a' })).map(
        (c) => c.id,
      );
      assert.ok(unseen.includes('r2') && !unseen.includes('r1') && !unseen.includes('r3'));
      await store.markSeen('a', ['r2']);
      assert.equal(await store.seenCount('a'), 3, 'marked again after the unmark');
    });

    test('reset covers a collection larger than one page of ids', async (t) => {
      const store = await make(t);
      const all = records(230, 3);
      await store.upsert(all);
      await store.prepareMarker('h');
      await store.prepareMarker('other');
      await store.markSeen(
        'h',
        all.map((r) => r.id),
      );
      await store.markSeen('other', ['r0', 'r229']);
      assert.equal(await store.seenCount('h'), 230);
      assert.deepEqual(await store.query(all[0].vector, { k: 5, ranking: { kind: 'top' }, unseenBy: 'h' }), []);
      await store.resetSeen('h');
      assert.equal(await store.seenCount('h'), 0);
      assert.equal(await store.seenCount('other'), 2);
      assert.equal((await store.query(all[0].vector, { k: 230, ranking: { kind: 'top' }, unseenBy: 'h' })).length, 230);
    });

    test('fetch, count, ids, replace, delete, and a repeated upsert (resume) adds nothing', async (t) => {
      const store = await make(t);
      const all = records(120, 4);
      assert.equal(await store.count(), 0);
      await store.upsert(all.slice(0, 80));
      await store.upsert(all.slice(50)); // an interrupted run resumed: overlap, no duplicates, no gaps
      assert.equal(await store.count(), 120);
      assert.deepEqual((await collect(store.ids())).sort(), all.map((r) => r.id).sort());
      const got = await store.fetch(['r7', 'missing', 'r3']);
      assert.deepEqual(
        got.map((r) => r.id),
        ['r7', 'r3'],
      );
      assert.deepEqual(Array.from(got[0].vector), Array.from(all[7].vector));
      assert.equal(got[0].path, 'img/r7.jpg');
      assert.equal(got[0].hash, 'h7');
      const replacement = { ...records(1, 99)[0], id: 'r10', path: 'img/new.jpg', hash: 'new' };
      await store.upsert([{ ...replacement, hash: 'stale' }, replacement]); // duplicates in one call: the last wins
      const [r10] = await store.fetch(['r10']);
      assert.deepEqual(Array.from(r10.vector), Array.from(replacement.vector));
      assert.equal(r10.hash, 'new');
      await store.delete(['r0', 'r1', 'missing']);
      assert.equal(await store.count(), 118);
      assert.deepEqual(await store.fetch(['r0']), []);
      await assert.rejects(store.upsert([{ id: 'x', vector: new Float32Array(D + 1) }]), /25-d vector/);
      await assert.rejects(store.upsert([{ id: 'x', vector: new Float32Array(D).fill(NaN) }]), /NaN/);
      await store.close();
    });
  });
}

storeContract('embedded', async (t) =>
  EmbeddedStore.openOrCreate(await tempDir(t), { modelId: 'test-model', dimension: D }),
);

/** Both readings of a comparison on a missing field (fake-pinecone-filter.ts): the store must not depend on either. */
const fakes = new Map<MissingFieldReading, FakePinecone>();
let serial = 0;
before(async () => {
  for (const reading of ['mongo', 'strict'] as const)
    fakes.set(reading, await startFakePinecone({ missingFields: reading }));
});
after(() => Promise.all([...fakes.values()].map((f) => f.close())));

function pinecone(reading: MissingFieldReading, extra: Partial<PineconeStoreOptions>): Factory {
  return async () => {
    const fake = fakes.get(reading)!;
    return PineconeStore.connect({
      apiKey: fake.apiKey,
      controllerHostUrl: fake.controllerHostUrl,
      indexName: `contract-${++serial}`,
      modelId: 'test-model',
      dimension: D,
      timeoutMs: 2000,
      baseDelayMs: 10,
      ...extra,
    });
  };
}

for (const reading of ['mongo', 'strict'] as const) {
  storeContract(`pinecone (fake server, missing fields read the ${reading} way)`, pinecone(reading, {}));
  // Small pages and batches and a small boundary pool: pagination, batching and the boundary scan fallback.
  storeContract(
    `pinecone (fake server, ${reading} reading, 7-id pages, 30-record batches, boundary pool 20)`,
    pinecone(reading, { listPageSize: 7, maxBatchRecords: 30, boundaryPool: 20 }),
  );
}
