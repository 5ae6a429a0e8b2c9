/**
 * Opening a store reads its search cache's codes without checking them, and checks their CRC-32s before the first
 * search (on a helper thread for a large store); the id table is saved whole when a writer closes. These tests damage
 * the codes in ways a search would answer wrongly from, and check that the answer stays exact and the cache is
 * rebuilt.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { strideOf } from '../../src/core/store/kernel/search-kernel';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';
import { bruteForceTopK, seededRecords } from '../helpers/store-reference';

const D = 24;
const STRIDE = strideOf(D);
const identity = { modelId: 'test-model', dimension: D };
const top = { kind: 'top' } as const;

/** A store of `n` rows (appended in blocks, as an import does), closed; and the records. */
async function storeOf(t: Parameters<typeof tempDir>[0], n: number) {
  const dir = await tempDir(t);
  const all = seededRecords(n, D, 7);
  const store = await EmbeddedStore.openOrCreate(dir, identity);
  for (let start = 0; start < n; start += 8192) await store.upsert(all.slice(start, start + 8192));
  await store.close();
  return { dir, all };
}

const q8File = (dir: string) => path.join(dir, 'search-0.q8');
const q4File = (dir: string) => path.join(dir, 'search-0.q4');

async function damage(file: string, change: (bytes: Buffer) => void): Promise<Buffer> {
  const original = await fs.readFile(file);
  const changed = Buffer.from(original);
  change(changed);
  assert.notDeepEqual(changed, original, 'the damage changed the file');
  await fs.writeFile(file, changed);
  return original;
}

const ids = (hits: { id: string }[]) => hits.map((h) => h.id);

// 40,000 rows: at least the 32,768 from which the codes are checked on a helper thread (quantised-rows.ts).
for (const rows of [3000, 40000]) {
  test(`${rows} rows: a row's int8 codes zeroed in the cache cannot take it out of the answer; the cache is rebuilt`, async (t) => {
    const { dir, all } = await storeOf(t, rows);
    const w = randomUnitVectors(1, D, 99);
    const expected = bruteForceTopK(all, w, 10, top, new Set());
    const best = Number(expected[0].id.slice(1));
    // With its codes zero, the best row's int8 score is 0 and its bound (from its small residual) cannot reach the
    // 10th best: a search that trusted these codes would leave it out.
    const original = await damage(q8File(dir), (b) => b.fill(0, best * STRIDE, (best + 1) * STRIDE));
    const store = await EmbeddedStore.open(dir, identity);
    assert.equal(store.openedFromCache, 'used', 'the cache opened as saved: its codes are checked afterwards');
    assert.deepEqual(ids(await store.query(w, { k: 10, ranking: top })), ids(expected));
    assert.deepEqual(await fs.readFile(q8File(dir)), original, 'the writer saved the codes computed again');
    await store.close();
    const reopened = await EmbeddedStore.open(dir, identity, 'read');
    assert.deepEqual(ids(await reopened.query(w, { k: 10, ranking: top })), ids(expected));
    await reopened.close();
  });
}

test('one flipped byte in the 4-bit codes is found before the first answer; a read-only store answers from codes computed again', async (t) => {
  const { dir, all } = await storeOf(t, 40000);
  const w = randomUnitVectors(1, D, 5);
  const expected = bruteForceTopK(all, w, 10, { kind: 'boundary', bias: 0 }, new Set());
  await damage(q4File(dir), (b) => (b[12345] ^= 0xff));
  const damaged = await fs.readFile(q4File(dir));
  const reader = await EmbeddedStore.open(dir, identity, 'read');
  assert.deepEqual(ids(await reader.query(w, { k: 10, ranking: { kind: 'boundary', bias: 0 } })), ids(expected));
  await reader.close();
  assert.deepEqual(await fs.readFile(q4File(dir)), damaged, 'a reader writes nothing');
  // The damage is still found by the next open: a writer's rebuilds the file.
  const writer = await EmbeddedStore.open(dir, identity);
  await writer.query(w, { k: 1, ranking: top });
  await writer.close();
  assert.notDeepEqual(await fs.readFile(q4File(dir)), damaged);
});

test('a writer closing saves the id table for every row, so the next open hashes none', async (t) => {
  // 100,000 rows in blocks: appends save the table only once more than 65,536 rows are missing from it.
  const { dir } = await storeOf(t, 100000);
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.searchCache.idsRows, 100000);
  const store = await EmbeddedStore.open(dir, identity, 'read');
  assert.equal(store.getMeta('r99999')?.path, 'img/r99999.jpg');
  assert.equal(store.has('r100000'), false);
  await store.close();
  // A flipped byte in the id table: the table is refused by its CRC-32, the ids hashed again, and found.
  await damage(path.join(dir, 'search-0.ids'), (b) => (b[4000] ^= 0x01));
  const again = await EmbeddedStore.open(dir, identity, 'read');
  for (const i of [0, 1234, 99999]) assert.equal(again.getMeta(`r${i}`)?.path, `img/r${i}.jpg`);
  await again.close();
});

test('ids with characters JSON escapes, and with characters outside the BMP, are found after reopening', async (t) => {
  const dir = await tempDir(t);
  const names = ['plain', 'emoji 😀.jpg', 'quote " here', 'back\\slash', 'tab\there', 'lone \ud800 surrogate', 'ünï'];
  const all = seededRecords(names.length, D, 3).map((r, i) => ({ ...r, id: names[i] }));
  const store = await EmbeddedStore.openOrCreate(dir, identity);
  await store.upsert(all);
  await store.close();
  const reopened = await EmbeddedStore.open(dir, identity, 'read');
  for (const [i, id] of names.entries()) assert.equal(reopened.getMeta(id)?.path, all[i].path, id);
  assert.equal(reopened.has('emoji 😁.jpg'), false);
  assert.equal(reopened.has("quote ' here"), false);
  await reopened.close();
});
