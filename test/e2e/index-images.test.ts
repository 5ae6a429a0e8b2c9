import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { generateClipModel } from '../../tools/generate-model/generate';
import { REPO_ROOT, sharedData, tempDir } from '../helpers/temp';

/**
 * Indexing real photos (../shared/data/clothing, 3,781 JPEGs) through the built CLI and the real
 * transformers.js + onnxruntime path, with a generated model of CLIP's layout.
 */
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const CLOTHING = sharedData('clothing');
let modelDir: string;

before(async () => {
  modelDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'vt-model-')), 'tiny');
  await generateClipModel(modelDir);
});

function index(cwd: string, folder: string) {
  const r = spawnSync(process.execPath, [CLI, 'index', folder, '--model', modelDir, '--offline'], {
    cwd,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const m =
    /indexed: (\d+) added, (\d+) updated, (\d+) unchanged, (\d+) removed, (\d+) skipped, (\d+) non-image files ignored/.exec(
      r.stdout,
    );
  assert.ok(m, r.stdout);
  // The last progress line adds up with the summary: skipped files are not counted as embedded.
  const last = [...r.stderr.matchAll(/^read (\d+)\/(\d+) images: (\d+) embedded, (\d+) skipped/gm)].at(-1);
  if (Number(m[1]) + Number(m[2]) + Number(m[5]) > 0) {
    assert.ok(last, r.stderr);
    assert.equal(Number(last[3]), Number(m[1]) + Number(m[2]), 'embedded = added + updated');
    assert.equal(Number(last[4]), Number(m[5]), 'skipped');
  }
  const [added, updated, unchanged, removed, skipped, ignored] = m.slice(1).map(Number);
  return { added, updated, unchanged, removed, skipped, ignored, stdout: r.stdout };
}

test('indexes real photos, skips and reports broken files, and re-indexes incrementally', async (t) => {
  const ws = await tempDir(t);
  await fs.cp(CLOTHING, path.join(ws, 'clothing'), { recursive: true });
  const hatDir = path.join(ws, 'clothing', 'train', 'hat');
  const aHat = path.join(hatDir, (await fs.readdir(hatDir))[0]);
  const jpeg = await fs.readFile(aHat);
  await fs.writeFile(path.join(hatDir, 'broken.jpg'), jpeg.subarray(0, jpeg.length / 2));
  await fs.writeFile(path.join(hatDir, 'notes.jpg'), 'these are my notes, not a photo\n');
  await fs.writeFile(path.join(hatDir, 'empty.png'), '');
  await fs.writeFile(path.join(hatDir, 'readme.txt'), 'not an image type at all');

  const first = index(ws, 'clothing');
  assert.deepEqual([first.added, first.updated, first.unchanged, first.removed, first.skipped], [3781, 0, 0, 0, 3]);
  assert.equal(first.ignored, 2, 'readme.txt and LICENSE are not image files');
  assert.match(first.stdout, /skipped clothing\/train\/hat\/broken\.jpg: truncated or corrupt image/);
  assert.match(first.stdout, /skipped clothing\/train\/hat\/notes\.jpg: not an image/);
  assert.match(first.stdout, /skipped clothing\/train\/hat\/empty\.png: empty file/);

  const store = await EmbeddedStore.open(path.join(ws, '.vectortune', 'store'), undefined, 'read');
  assert.equal(await store.count(), 3781);
  const [hat] = await store.fetch([path.relative(ws, aHat)]);
  assert.equal(hat.vector.length, 64);
  assert.ok(Math.abs(Math.hypot(...hat.vector) - 1) < 1e-5, 'stored vectors are unit length');
  assert.match(hat.hash!, /^[0-9a-f]{64}$/);

  const again = index(ws, 'clothing');
  assert.deepEqual([again.added, again.updated, again.unchanged, again.removed, again.skipped], [0, 0, 3781, 0, 3]);

  // Delete three photos, change one, add one: only those are touched.
  const shoes = path.join(ws, 'clothing', 'test', 'shoes');
  const names = (await fs.readdir(shoes)).sort();
  for (const n of names.slice(0, 3)) await fs.rm(path.join(shoes, n));
  await fs.copyFile(aHat, path.join(shoes, names[3]));
  await fs.copyFile(aHat, path.join(shoes, 'new-photo.jpg'));
  const changed = index(ws, 'clothing');
  assert.deepEqual([changed.added, changed.updated, changed.unchanged, changed.removed], [1, 1, 3777, 3]);
  const reopened = await EmbeddedStore.open(path.join(ws, '.vectortune', 'store'), undefined, 'read');
  assert.equal(await reopened.count(), 3779);
  const [updated] = await reopened.fetch([`clothing/test/shoes/${names[3]}`]);
  assert.deepEqual(
    Array.from(updated.vector),
    Array.from(hat.vector),
    "the changed file now has the hat photo's embedding",
  );
});

test('an index run killed mid-way resumes to the same store as an uninterrupted run', async (t) => {
  const ws = await tempDir(t);
  await fs.cp(path.join(CLOTHING, 'test'), path.join(ws, 'photos'), { recursive: true });
  const reference = await tempDir(t);
  await fs.cp(path.join(CLOTHING, 'test'), path.join(reference, 'photos'), { recursive: true });
  assert.equal(index(reference, 'photos').added, 372);

  const child = spawn(process.execPath, [CLI, 'index', 'photos', '--model', modelDir, '--offline', '--batch', '4'], {
    cwd: ws,
    stdio: 'ignore',
  });
  const manifest = path.join(ws, '.vectortune', 'store', 'manifest.json');
  let committedAtKill = 0;
  for (let i = 0; i < 600 && committedAtKill < 40; i++) {
    await new Promise((r) => setTimeout(r, 20));
    committedAtKill = await fs.readFile(manifest, 'utf8').then(
      (m) => JSON.parse(m).count as number,
      () => 0,
    );
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(committedAtKill > 0 && committedAtKill < 372, `killed after ${committedAtKill} of 372 committed`);

  const resumed = index(ws, 'photos');
  const afterKill = resumed.unchanged;
  assert.ok(afterKill >= committedAtKill && afterKill < 372, `resume skipped the ${afterKill} committed photos`);
  assert.equal(resumed.added + afterKill, 372);

  const a = await EmbeddedStore.open(path.join(ws, '.vectortune', 'store'));
  const b = await EmbeddedStore.open(path.join(reference, '.vectortune', 'store'));
  const ids = a
    .allRecords()
    .map((r) => r.id)
    .sort();
  assert.deepEqual(
    ids,
    b
      .allRecords()
      .map((r) => r.id)
      .sort(),
  );
  const va = await a.fetch(ids);
  const vb = new Map((await b.fetch(ids)).map((r) => [r.id, r.vector]));
  let worst = 0;
  for (const r of va)
    for (let i = 0; i < r.vector.length; i++) worst = Math.max(worst, Math.abs(r.vector[i] - vb.get(r.id)![i]));
  assert.ok(worst < 1e-5, `same vectors as the uninterrupted run (max difference ${worst})`);
});

test('Ctrl+C (SIGINT) stops an index run through the exit hooks: the writer lock is released, and the next run resumes', async (t) => {
  const ws = await tempDir(t);
  await fs.cp(path.join(CLOTHING, 'test'), path.join(ws, 'photos'), { recursive: true });
  const child = spawn(process.execPath, [CLI, 'index', 'photos', '--model', modelDir, '--offline', '--batch', '4'], {
    cwd: ws,
    stdio: 'ignore',
  });
  const store = path.join(ws, '.vectortune', 'store');
  let committed = 0;
  for (let i = 0; i < 600 && committed < 20; i++) {
    await new Promise((r) => setTimeout(r, 20));
    committed = await fs.readFile(path.join(store, 'manifest.json'), 'utf8').then(
      (m) => JSON.parse(m).count as number,
      () => 0,
    );
  }
  assert.ok(await fs.stat(EmbeddedStore.lockPath(store)).then(Boolean), 'the run holds the writer lock');
  child.kill('SIGINT');
  const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
    child.once('exit', (c, s) => r([c, s])),
  );
  assert.deepEqual([code, signal], [130, null], 'exits with 128 + SIGINT, not killed by the signal');
  await assert.rejects(fs.stat(EmbeddedStore.lockPath(store)), { code: 'ENOENT' }, 'the lock file is gone');
  const resumed = index(ws, 'photos');
  assert.ok(resumed.unchanged >= committed && resumed.unchanged < 372, `${resumed.unchanged} kept of 372`);
  assert.equal(resumed.added + resumed.unchanged, 372);
});

test('a mistyped folder or a file is refused before any model is loaded (none is given here, and none is fetched)', async (t) => {
  const ws = await tempDir(t);
  await fs.writeFile(path.join(ws, 'notes.txt'), 'not a folder');
  for (const [target, problem] of [
    ['no-such-folder', /no-such-folder: no such folder to index\./],
    ['notes.txt', /notes\.txt: this is a file, not a folder: index the folder that holds it\./],
  ] as const) {
    const r = spawnSync(process.execPath, [CLI, 'index', target, '--offline'], { cwd: ws, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, problem);
    assert.doesNotMatch(r.stderr, /^model:|download/im, 'the model was not loaded');
  }
});
