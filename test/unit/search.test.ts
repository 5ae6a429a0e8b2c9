import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { MAX_QUERY_CHARS, recordVector, searchBatch, searchText } from '../../src/core/tune/search';
import { TuningSession } from '../../src/core/tune/session';
import { dot } from '../../src/core/vector';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';

const D = 16;
const N = 300;

/** A store of seeded records and a head started from one of them, so the head's w is not the query. */
async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(path.join(dir, 'store'), { modelId: 'm', dimension: D });
  t.after(() => store.close());
  const data = randomUnitVectors(N, D, 7);
  const records = Array.from({ length: N }, (_, i) => ({
    id: `img/${i}.jpg`,
    path: `img/${i}.jpg`,
    vector: data.slice(i * D, (i + 1) * D),
  }));
  await store.upsert(records);
  const session = await TuningSession.create({
    headsDir: path.join(dir, 'heads'),
    name: 'h',
    store,
    start: { kind: 'examples', ids: ['img/0.jpg'] },
  });
  const vectorOf = new Map(records.map((r) => [r.id, r.vector]));
  /** The unseen ids ranked by query·x, worked out here by brute force rather than by the store. */
  const bruteForce = (query: Float32Array, seen: Set<string>) =>
    records
      .filter((r) => !seen.has(r.id))
      .map((r) => ({ id: r.id, s: dot(query, r.vector) }))
      .sort((a, b) => b.s - a.s)
      .map((r) => r.id);
  const options = (query: Float32Array, k: number, exclude?: string[]) => ({
    store,
    head: session.head,
    seenBy: session.markers.key,
    query,
    k,
    exclude,
  });
  return { store, session, records, vectorOf, bruteForce, options };
}

test('a search batch is the k unseen records nearest the query, each with the head’s own logit', async (t) => {
  const { session, vectorOf, bruteForce, options } = await setup(t);
  const query = randomUnitVectors(1, D, 99);
  const batch = await searchBatch(options(query, 10));
  assert.deepEqual(
    batch.map((c) => c.id),
    bruteForce(query, new Set(['img/0.jpg'])).slice(0, 10),
    'nearest the query first; the example the head was started from (seen) is left out',
  );
  for (const c of batch) {
    const x = vectorOf.get(c.id)!;
    assert.ok(Math.abs(c.logit - (dot(session.head.w, x) + session.head.b)) < 1e-9, `${c.id}: the head's logit`);
    assert.ok(Math.abs(c.probability - 1 / (1 + Math.exp(-c.logit))) < 1e-12);
    assert.equal(c.path, c.id);
  }
  // The head's own batch ranks by w, so a query in another direction gives another batch.
  const own = await session.nextBatch(10, 'top');
  assert.notDeepEqual(
    own.map((c) => c.id),
    batch.map((c) => c.id),
  );
});

test('a scored search batch trains the head and its records are not found again', async (t) => {
  const { session, bruteForce, options } = await setup(t);
  const query = randomUnitVectors(1, D, 5);
  const first = await searchBatch(options(query, 8));
  const wBefore = Float64Array.from(session.head.w);
  const result = await session.submit(first.map((c, i) => ({ id: c.id, score: i < 4 ? 1 : null })));
  assert.equal(result.labelCount, 1 + 4);
  assert.ok(result.moved > 0, 'the head moved');
  assert.notDeepEqual(Array.from(session.head.w), Array.from(wBefore));
  const second = await searchBatch(options(query, 8));
  const seen = new Set(['img/0.jpg', ...first.map((c) => c.id)]);
  assert.ok(
    second.every((c) => !seen.has(c.id)),
    'skipped and scored records are both seen',
  );
  assert.deepEqual(
    second.map((c) => c.id),
    bruteForce(query, seen).slice(0, 8),
  );
});

test('"more like this" queries with the record’s stored vector and leaves the record itself out', async (t) => {
  const { store, vectorOf, bruteForce, options } = await setup(t);
  const id = 'img/42.jpg';
  const vector = await recordVector(store, id);
  assert.deepEqual(Array.from(vector), Array.from(vectorOf.get(id)!));
  const batch = await searchBatch(options(vector, 6, [id]));
  assert.equal(batch.length, 6);
  assert.ok(!batch.some((c) => c.id === id));
  const expected = bruteForce(vector, new Set(['img/0.jpg', id])).slice(0, 6);
  assert.deepEqual(
    batch.map((c) => c.id),
    expected,
  );
  await assert.rejects(recordVector(store, 'img/nope.jpg'), /"img\/nope\.jpg" is not in the store/);
});

test('fewer unseen records than asked gives what there is; a query of the wrong size is refused', async (t) => {
  const { options } = await setup(t);
  const all = await searchBatch(options(randomUnitVectors(1, D, 3), N + 50));
  assert.equal(all.length, N - 1, 'every record but the seen example');
  await assert.rejects(
    searchBatch(options(new Float32Array(D + 1), 5)),
    /the query has 17 dimensions; the store holds 16-d/,
  );
});

test('search text is trimmed; empty or overlong text is refused with what to do', () => {
  assert.equal(searchText('  a red hat \n'), 'a red hat');
  assert.throws(() => searchText('   '), /the search text is empty\. Describe the images to find/);
  assert.throws(() => searchText('x'.repeat(MAX_QUERY_CHARS + 1)), /1001 characters; at most 1000/);
});
