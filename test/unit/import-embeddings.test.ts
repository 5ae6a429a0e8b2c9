/**
 * The streaming import (issue 14): the matrix and the CSV are read in blocks, checked whole before anything is
 * written, appended a block per commit, and an import run again (or resumed after a stop) skips what the store
 * already holds. 20,000 rows make three blocks of 8,192.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { type ImportOptions, type ImportProgress, importEmbeddings } from '../../src/core/ingest/import-embeddings';
import { toCsv } from '../../src/core/io/csv';
import { writeNpy } from '../../src/core/io/npy';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { centreAndNormalise, meanOfRows } from '../../src/core/vector';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';

const ROWS = 20_000;
const D = 8;

/** A matrix of off-centre rows (as real features are) and a CSV naming each: id, path, split. */
async function writeInputs(dir: string, data: Float32Array = randomUnitVectors(ROWS, D, 3).map((v) => v + 0.2)) {
  const npyFile = path.join(dir, 'x.npy');
  const csvFile = path.join(dir, 'x.csv');
  await writeNpy(npyFile, ROWS, D, data);
  const lines = Array.from({ length: ROWS }, (_, i) => [`id-${i}`, `img/${i}.jpg`, i % 3 === 0 ? 'test' : 'train']);
  await fs.writeFile(csvFile, toCsv(['id', 'path', 'split'], lines));
  return { npyFile, csvFile, data };
}

function options(dir: string, files: { npyFile: string; csvFile: string }, extra: Partial<ImportOptions> = {}) {
  return {
    ...files,
    storeDir: path.join(dir, 'store'),
    modelId: 'm',
    idColumn: 'id',
    pathColumn: 'path',
    centre: false,
    ...extra,
  };
}

/** Every record with its vector's bits, by id. */
async function contents(storeDir: string): Promise<Map<string, string>> {
  const store = await EmbeddedStore.open(storeDir, undefined, 'read');
  try {
    const ids: string[] = [];
    for await (const id of store.ids()) ids.push(id);
    const out = new Map<string, string>();
    for (const r of await store.fetch(ids))
      out.set(
        r.id,
        `${r.path} ${Buffer.from(r.vector.buffer, r.vector.byteOffset, r.vector.byteLength).toString('hex')}`,
      );
    return out;
  } finally {
    await store.close();
  }
}

const generation = async (storeDir: string) =>
  (JSON.parse(await fs.readFile(path.join(storeDir, 'manifest.json'), 'utf8')) as { generation: number }).generation;

test('imports in blocks with progress; run again it finds every row there and rewrites nothing; changed rows replace theirs', async (t) => {
  const dir = await tempDir(t);
  const files = await writeInputs(dir);
  const progress: ImportProgress[] = [];
  const first = await importEmbeddings(options(dir, files, { onProgress: (p) => progress.push(p) }));
  assert.deepEqual([first.imported, first.unchanged, first.skipped.length], [ROWS, 0, 0]);
  const phases = progress.map((p) => `${p.phase} ${p.done}/${p.total}`);
  assert.deepEqual(phases, [
    'checking 8192/20000',
    'checking 16384/20000',
    'checking 20000/20000',
    'importing 8192/20000',
    'importing 16384/20000',
    'importing 20000/20000',
  ]);
  assert.ok(progress.every((p) => p.rowsPerSecond > 0 && p.secondsLeft >= 0));
  const store = path.join(dir, 'store');
  const imported = await contents(store);
  assert.equal(imported.size, ROWS);
  const [x7] = await (await EmbeddedStore.open(store, undefined, 'read')).fetch(['id-7']);
  assert.deepEqual(Array.from(x7.vector), Array.from(centreAndNormalise(files.data.slice(7 * D, 8 * D), null)));

  const again = await importEmbeddings(options(dir, files));
  assert.deepEqual([again.imported, again.unchanged], [0, ROWS]);
  assert.equal(await generation(store), 0, 'nothing was rewritten');
  assert.deepEqual(await contents(store), imported);

  const changed = files.data.slice();
  changed[12_345 * D] += 1;
  await writeNpy(files.npyFile, ROWS, D, changed);
  const third = await importEmbeddings(options(dir, files));
  assert.deepEqual([third.imported, third.unchanged], [1, ROWS - 1]);
  assert.equal(await generation(store), 1, 'one rewrite for the replaced row');
  const after = await contents(store);
  assert.notEqual(after.get('id-12345'), imported.get('id-12345'));
  after.delete('id-12345');
  imported.delete('id-12345');
  assert.deepEqual(after, imported, 'every other row as it was');
});

test('an import stopped after its first block resumes: run again, it ends as one that was never stopped', async (t) => {
  const dir = await tempDir(t);
  const files = await writeInputs(dir);
  const stop = new Error('stopped');
  await assert.rejects(
    importEmbeddings(
      options(dir, files, {
        centre: true,
        onProgress: (p) => {
          if (p.phase === 'importing') throw stop;
        },
      }),
    ),
    (err) => err === stop,
  );
  const store = path.join(dir, 'store');
  assert.equal((await contents(store)).size, 8192, 'the first block was committed');
  const resumed = await importEmbeddings(options(dir, files, { centre: true }));
  assert.deepEqual([resumed.imported, resumed.unchanged], [ROWS - 8192, 8192]);

  const clean = path.join(dir, 'clean');
  await fs.mkdir(clean);
  await importEmbeddings({ ...options(clean, files, { centre: true }) });
  assert.deepEqual(await contents(store), await contents(path.join(clean, 'store')));
  assert.equal(await generation(store), 0);
});

test('a non-finite value anywhere in the matrix, even in its last block, is refused before anything is written', async (t) => {
  const dir = await tempDir(t);
  const data = randomUnitVectors(ROWS, D, 5);
  data[(ROWS - 2) * D + 3] = Number.NaN;
  const files = await writeInputs(dir, data);
  await assert.rejects(
    importEmbeddings(options(dir, files)),
    /x\.npy: row 19,998 \(counting from 0\) has the non-finite value NaN at column 3/,
  );
  assert.equal(await EmbeddedStore.exists(path.join(dir, 'store')), false);
});

test('a centred import of a filtered CSV in another order (a row column) takes the mean of the rows it imports', async (t) => {
  const dir = await tempDir(t);
  const { npyFile, data } = await writeInputs(dir);
  // The CSV lists the rows backwards, with the matrix row of each; only `train` lines are imported.
  const csvFile = path.join(dir, 'backwards.csv');
  const lines = Array.from({ length: ROWS }, (_, k) => ROWS - 1 - k).map((i) => [
    String(i),
    `id-${i}`,
    i % 3 === 0 ? 'test' : 'train',
  ]);
  await fs.writeFile(csvFile, toCsv(['row', 'id', 'split'], lines));
  const report = await importEmbeddings({
    ...options(dir, { npyFile, csvFile }),
    pathColumn: undefined,
    rowColumn: 'row',
    where: [{ column: 'split', value: 'train' }],
    centre: true,
  });
  const train = lines.filter((l) => l[2] === 'train').map((l) => Number(l[0]));
  assert.equal(report.imported, train.length);
  const picked = new Float32Array(train.length * D);
  train.forEach((row, i) => picked.set(data.subarray(row * D, (row + 1) * D), i * D));
  const mean = meanOfRows(picked, train.length, D);
  const store = await EmbeddedStore.open(path.join(dir, 'store'), undefined, 'read');
  assert.deepEqual(Array.from(store.info.centringMean!), Array.from(mean), 'the mean of the train rows, in CSV order');
  const [r] = await store.fetch(['id-4']);
  assert.deepEqual(Array.from(r.vector), Array.from(centreAndNormalise(data.slice(4 * D, 5 * D), mean)));
  await store.close();
});
