import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { VectorTuneError } from '../../src/core/errors';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';
import { bruteForceTopK, seededRecords } from '../helpers/store-reference';

const D = 24;
const identity = { modelId: 'test-model', dimension: D };

const records = (n: number, seed: number, prefix = 'r') => seededRecords(n, D, seed, prefix);
const bruteForce = (...args: Parameters<typeof bruteForceTopK>) => bruteForceTopK(...args).map((r) => r.id);

test('top-k (top and boundary, with a seen filter) equals brute force', async (t) => {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(dir, identity);
  const all = records(2000, 1);
  await store.upsert(all.slice(0, 1500));
  await store.upsert(all.slice(1500));
  const seen = new Set(all.filter((_, i) => i % 7 === 0).map((r) => r.id));
  await store.markSeen('h', [...seen]);
  for (let q = 0; q < 5; q++) {
    const w = randomUnitVectors(1, D, 100 + q);
    for (const ranking of [{ kind: 'top' } as const, { kind: 'boundary', bias: 0.05 * q } as const]) {
      for (const k of [1, 10, 100]) {
        const got = (await store.query(w, { k, ranking, unseenBy: 'h' })).map((c) => c.id);
        assert.deepEqual(got, bruteForce(all, w, k, ranking, seen), `q=${q} ${ranking.kind} k=${k}`);
      }
    }
    const unfiltered = (await store.query(w, { k: 10, ranking: { kind: 'top' } })).map((c) => c.id);
    assert.deepEqual(unfiltered, bruteForce(all, w, 10, { kind: 'top' }, new Set()));
  }
});

test('a reopened store holds the same records, vectors and seen sets', async (t) => {
  const dir = await tempDir(t);
  const all = records(300, 2);
  const store = await EmbeddedStore.openOrCreate(dir, identity);
  await store.upsert(all);
  await store.markSeen('a', ['r1', 'r2']);
  await store.markSeen('b', ['r3']);
  const reopened = await EmbeddedStore.open(dir, identity);
  assert.equal(await reopened.count(), 300);
  const [r7] = await reopened.fetch(['r7']);
  assert.deepEqual(Array.from(r7.vector), Array.from(all[7].vector));
  assert.equal(r7.path, 'img/r7.jpg');
  assert.equal(await reopened.seenCount('a'), 2);
  assert.equal(await reopened.seenCount('b'), 1);
  await reopened.resetSeen('a');
  assert.equal(await reopened.seenCount('a'), 0);
  assert.equal(await reopened.seenCount('b'), 1, 'resetting one head leaves another alone');
  assert.equal(await (await EmbeddedStore.open(dir)).seenCount('a'), 0);
});

test('replacing and deleting records keeps ids unique and seen sets by id', async (t) => {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(dir, identity);
  const all = records(50, 3);
  await store.upsert(all);
  await store.markSeen('h', ['r10', 'r20']);
  const replacement = { ...records(1, 99)[0], id: 'r10', path: 'img/new.jpg' };
  await store.upsert([replacement]);
  await store.delete(['r0', 'r1', 'missing']);
  assert.equal(await store.count(), 48);
  const [r10] = await store.fetch(['r10']);
  assert.deepEqual(Array.from(r10.vector), Array.from(replacement.vector));
  assert.equal(await store.seenCount('h'), 2);
  const reopened = await EmbeddedStore.open(dir);
  assert.equal(await reopened.count(), 48);
  assert.deepEqual(
    (await reopened.fetch(['r0', 'r10'])).map((r) => r.path),
    ['img/new.jpg'],
  );
  const names = await fs.readdir(dir);
  assert.deepEqual(
    names.filter((n) => n.startsWith('vectors-')),
    ['vectors-2.f32'],
    'old generations are removed',
  );
});

test('a write killed after the data append but before the manifest leaves the previous state, and the store resumes', async (t) => {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(dir, identity);
  await store.upsert(records(100, 4));
  // Simulate the kill: the data files got the next batch's bytes, the manifest did not move.
  await fs.appendFile(path.join(dir, 'vectors-0.f32'), Buffer.alloc(10 * D * 4 + 3, 7));
  await fs.appendFile(path.join(dir, 'records-0.jsonl'), '{"id":"half-writ');
  await fs.writeFile(path.join(dir, '.manifest.json.123.456.tmp'), '{"torn');
  await fs.writeFile(path.join(dir, 'vectors-5.f32'), 'leftover of a killed rewrite');
  const reopened = await EmbeddedStore.open(dir, identity);
  assert.equal(await reopened.count(), 100);
  const more = records(20, 5, 's');
  await reopened.upsert(more);
  const again = await EmbeddedStore.open(dir, identity);
  assert.equal(await again.count(), 120);
  const [s3] = await again.fetch(['s3']);
  assert.deepEqual(Array.from(s3.vector), Array.from(more[3].vector), 'the garbage tail was trimmed, not kept');
  await again.delete(['r0']);
  const names = await fs.readdir(dir);
  assert.ok(
    !names.includes('vectors-5.f32') && !names.some((n) => n.endsWith('.tmp')),
    `leftovers removed: ${names.join(',')}`,
  );
});

test('a store of another model or dimension is refused, not mixed', async (t) => {
  const dir = await tempDir(t);
  await (await EmbeddedStore.openOrCreate(dir, identity)).upsert(records(3, 6));
  await assert.rejects(EmbeddedStore.open(dir, { modelId: 'other-model', dimension: D }), (err: Error) => {
    assert.ok(err instanceof VectorTuneError);
    assert.match(err.message, /test-model/);
    assert.match(err.message, /other-model/);
    assert.ok(err.message.includes(dir));
    return true;
  });
  await assert.rejects(EmbeddedStore.openOrCreate(dir, { modelId: 'test-model', dimension: 512 }), /cannot be mixed/);
  const store = await EmbeddedStore.open(dir);
  await assert.rejects(store.upsert([{ id: 'x', vector: new Float32Array(D + 1) }]), /25-d vector/);
  await assert.rejects(store.upsert([{ id: 'x', vector: new Float32Array(D).fill(NaN) }]), /NaN/);
  await assert.rejects(store.query(new Float32Array(3), { k: 1, ranking: { kind: 'top' } }), /3 dimensions/);
});

test('a store written by a newer version, or with a damaged manifest or data file, is refused clearly', async (t) => {
  const dir = await tempDir(t);
  await (await EmbeddedStore.openOrCreate(dir, identity)).upsert(records(10, 7));
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8'));

  await fs.writeFile(manifestFile, JSON.stringify({ ...manifest, version: 99 }));
  await assert.rejects(EmbeddedStore.open(dir), /newer version of Vector Tune \(store format 99/);

  await fs.writeFile(manifestFile, '{ not json');
  await assert.rejects(EmbeddedStore.open(dir), /manifest is not valid JSON/);

  await fs.writeFile(manifestFile, JSON.stringify({ ...manifest, count: 11 }));
  await assert.rejects(EmbeddedStore.open(dir), /holds 10 committed records but the manifest says 11/);

  await fs.writeFile(manifestFile, JSON.stringify(manifest));
  await fs.truncate(path.join(dir, 'vectors-0.f32'), 100);
  await assert.rejects(
    EmbeddedStore.open(dir),
    (err: Error) => err instanceof VectorTuneError && err.message.includes('vectors-0.f32'),
  );

  await assert.rejects(EmbeddedStore.open(path.join(dir, 'nowhere')), /no Vector Tune store here/);
});

test('seen files tolerate a torn last line and ignore ids no longer in the store', async (t) => {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(dir, identity);
  await store.upsert(records(10, 8));
  await store.markSeen('h', ['r1']);
  await fs.appendFile(path.join(dir, 'seen', 'h.txt'), '"gone"\n"r2');
  const reopened = await EmbeddedStore.open(dir);
  assert.equal(await reopened.seenCount('h'), 1);
  await reopened.markSeen('h', ['r3']);
  assert.equal(await (await EmbeddedStore.open(dir)).seenCount('h'), 2, 'the id after a torn line is still read');
});

test('bytes changed after they were written are refused by checksum; a store from before checksums opens and gains them', async (t) => {
  const dir = await tempDir(t);
  const store = await EmbeddedStore.openOrCreate(dir, identity);
  await store.upsert(records(10, 21));
  await store.close();
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
  assert.ok(Number.isInteger(manifest.vectorsCrc32) && Number.isInteger(manifest.recordsCrc32));

  // One float's low byte changed (row 1): still a finite, plausible vector, so only a checksum can tell. The store
  // opens from its search cache without reading the vectors file, and refuses the row when it is read.
  const vectorsFile = path.join(dir, 'vectors-0.f32');
  const original = await fs.readFile(vectorsFile);
  const changed = Buffer.from(original);
  changed[4 * D + 1] ^= 0x01;
  await fs.writeFile(vectorsFile, changed);
  const opened = await EmbeddedStore.open(dir);
  await assert.rejects(opened.fetch(['r1']), /vectors-0\.f32: row 1 of the vectors file does not match its checksum/);
  await assert.rejects(opened.query(records(10, 21)[1].vector, { k: 1, ranking: { kind: 'top' } }), /row 1 of the/);
  assert.deepEqual(Array.from((await opened.fetch(['r2']))[0].vector), Array.from(records(10, 21)[2].vector));
  await opened.close();
  // Without its search cache, opening reads the whole file, and the file's CRC-32 refuses it.
  const cacheFiles = (await fs.readdir(dir)).filter((n) => n.startsWith('search-'));
  const saved = new Map(
    await Promise.all(cacheFiles.map(async (n) => [n, await fs.readFile(path.join(dir, n))] as const)),
  );
  for (const n of cacheFiles) await fs.rm(path.join(dir, n));
  await assert.rejects(EmbeddedStore.open(dir), /vectors-0\.f32: the vectors file does not match its checksum/);
  await fs.writeFile(vectorsFile, original);
  for (const [n, bytes] of saved) await fs.writeFile(path.join(dir, n), bytes);

  // An id changed into another valid, unused id.
  const recordsFile = path.join(dir, 'records-0.jsonl');
  const text = await fs.readFile(recordsFile, 'utf8');
  await fs.writeFile(recordsFile, text.replace('"r3"', '"q3"'));
  await assert.rejects(EmbeddedStore.open(dir), /records-0\.jsonl: the records file does not match its checksum/);
  await fs.writeFile(recordsFile, text);

  // A store from before checksums and the search cache: opens, builds and saves its cache, and records the checksums.
  delete manifest.vectorsCrc32;
  delete manifest.recordsCrc32;
  delete manifest.searchCache;
  await fs.writeFile(manifestFile, JSON.stringify(manifest));
  for (const n of cacheFiles) await fs.rm(path.join(dir, n));
  const old = await EmbeddedStore.open(dir);
  assert.equal(old.openedFromCache, 'rebuilt');
  await old.upsert(records(2, 22, 'new'));
  await old.close();
  const upgraded = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
  assert.ok(Number.isInteger(upgraded.vectorsCrc32) && Number.isInteger(upgraded.recordsCrc32));
  const reopened = await EmbeddedStore.open(dir);
  assert.equal(reopened.openedFromCache, 'used');
  assert.equal(await reopened.count(), 12);
  await reopened.delete(['r0']); // a rewrite records the new generation's checksums
  await reopened.close();
  assert.equal(await (await EmbeddedStore.open(dir, undefined, 'read')).count(), 11);
});
