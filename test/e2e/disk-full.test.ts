import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { VectorTuneError } from '../../src/core/errors';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { TuningSession } from '../../src/core/tune/session';
import { seededRecords } from '../helpers/store-reference';
import { tempDir } from '../helpers/temp';

/**
 * A real full disk and a real read-only file system: a 2 MiB tmpfs mounted for the test (needs root with mount
 * permission, as CI runs; skipped otherwise, and says so). Every write must fail with an error naming the file
 * and the cause, and leave the last committed state: the store, the labels and the weights as they were.
 */
const D = 256;
const identity = { modelId: 'test/disk-full', dimension: D };

function mountTmpfs(dir: string, sizeKb: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const remount = (dir: string, mode: 'ro' | 'rw') =>
  execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'ignore' });

/** Fills the file system to the last byte with one file; returns a function that frees the space again. */
function fill(dir: string): () => void {
  const filler = path.join(dir, `filler-${Math.random().toString(36).slice(2)}.bin`);
  const fd = fs.openSync(filler, 'w');
  try {
    for (const size of [64 * 1024, 4096, 1]) {
      const block = Buffer.alloc(size, 1);
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return () => fs.rmSync(filler);
}

/** sha256 of every file under `dir` (lock files aside), to compare states without printing them. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.endsWith('.lock') && !e.name.startsWith('filler-'))
      .map((e) => [
        path.relative(dir, path.join(e.parentPath, e.name)),
        createHash('sha256')
          .update(fs.readFileSync(path.join(e.parentPath, e.name)))
          .digest('hex'),
      ]),
  );

test('a full disk and a read-only file system: clear errors, and nothing saved before is changed', async (t) => {
  const base = await tempDir(t);
  const mnt = path.join(base, 'small-disk');
  fs.mkdirSync(mnt);
  if (!mountTmpfs(mnt, 2048)) return t.skip('mounting a tmpfs needs root with mount permission (CI has it)');
  try {
    await fullAndReadOnly(base, mnt);
  } finally {
    execFileSync('umount', [mnt]); // before tempDir's cleanup removes the folder
  }
});

async function fullAndReadOnly(base: string, mnt: string): Promise<void> {
  // 1. The store fills the disk: the failing upsert names the file and the cause; the committed rows survive.
  const storeDir = path.join(mnt, 'store');
  const store = await EmbeddedStore.openOrCreate(storeDir, identity);
  let committed = 0;
  let failure: unknown;
  for (let batch = 0; batch < 100 && failure === undefined; batch++) {
    try {
      await store.upsert(seededRecords(200, D, batch, `b${batch}-`));
      committed += 200;
    } catch (err) {
      failure = err;
    }
  }
  assert.ok(failure instanceof VectorTuneError, `a VectorTuneError, got ${String(failure)}`);
  assert.match(
    (failure as Error).message,
    /small-disk\/store\/.*cannot write: the disk is full \(ENOSPC\)\. Free some space/,
  );
  assert.ok(committed >= 600, `${committed} rows fitted before the disk was full`);
  assert.equal(await store.count(), committed, 'the failed batch is not half in memory');
  await store.close();
  const reopened = await EmbeddedStore.open(storeDir, identity, 'read');
  assert.equal(await reopened.count(), committed, 'the failed batch is not half on disk');
  const probe = seededRecords(200, D, 1, 'b1-')[17];
  assert.deepEqual(Array.from((await reopened.fetch([probe.id]))[0].vector), Array.from(probe.vector));
  await reopened.close();

  // 2. A tuning round on a full disk: the submit fails clearly and changes nothing; once space is freed the same
  //    round goes through.
  const small = await EmbeddedStore.openOrCreate(path.join(base, 'store-on-big-disk'), identity);
  await small.upsert(seededRecords(300, D, 7));
  const headsDir = path.join(mnt, 'heads');
  fs.rmSync(storeDir, { recursive: true }); // room for the head's files
  const session = await TuningSession.create({
    headsDir,
    name: 'h',
    store: small,
    start: { kind: 'examples', ids: ['r1', 'r2'] },
  });
  // 60 label lines (about 6 KB) are more than the slack in the labels file's last 4 KB page of the full tmpfs.
  const batch = await session.nextBatch(60, 'top');
  const verdicts = batch.map((c, i) => ({ id: c.id, score: i % 2 ? 1 : -1 }));
  const before = snapshot(headsDir);
  const free = fill(mnt);
  await assert.rejects(session.submit(verdicts), (err: Error) => {
    assert.ok(err instanceof VectorTuneError, String(err));
    assert.match(err.message, /heads\/h\/labels\.jsonl: cannot write: the disk is full \(ENOSPC\)/);
    return true;
  });
  free();
  assert.deepEqual(snapshot(headsDir), before, 'labels and weights unchanged, no partial line, no temporary file');
  const reopenedHead = (await TuningSession.open(path.join(headsDir, 'h'), small)).session;
  assert.equal((await reopenedHead.submit(verdicts)).labelCount, 62, '2 examples + the 60 scores of the retried round');

  // 2b. The disk fills after the scores were saved but before the weights are: the scores stay (the user's work),
  //     the weights file is the previous one, intact, and reopening the head retrains it from the scores.
  const next = await reopenedHead.nextBatch(10, 'top');
  const weightsFile = path.join(headsDir, 'h', 'classifier.weights.json');
  const weightsBefore = snapshot(path.join(headsDir, 'h'))['classifier.weights.json'];
  const labelsBytes = fs.statSync(path.join(headsDir, 'h', 'labels.jsonl')).size;
  // Leave room for the round's label lines (about 1 KB), not for a weights file (about 6 KB).
  const freeAll = fill(mnt);
  freeAll();
  const reserve = path.join(mnt, 'reserve.bin');
  const room = fs.statfsSync(mnt).bavail * fs.statfsSync(mnt).bsize;
  fs.writeFileSync(reserve, Buffer.alloc(Math.max(0, room - 3 * 4096)));
  await assert.rejects(
    reopenedHead.submit(next.map((c) => ({ id: c.id, score: 1 }))),
    /classifier\.weights\.json: cannot write: the disk is full \(ENOSPC\)/,
  );
  fs.rmSync(reserve);
  assert.ok(fs.statSync(path.join(headsDir, 'h', 'labels.jsonl')).size > labelsBytes, 'the scores were saved first');
  assert.equal(
    snapshot(path.join(headsDir, 'h'))['classifier.weights.json'],
    weightsBefore,
    'the previous weights, intact',
  );
  assert.equal(
    fs.readdirSync(path.join(headsDir, 'h')).filter((n) => n.endsWith('.tmp')).length,
    0,
    'no temporary file left',
  );
  JSON.parse(fs.readFileSync(weightsFile, 'utf8'));
  const repaired = await TuningSession.open(path.join(headsDir, 'h'), small);
  assert.equal(repaired.session.labelCount, 72);
  assert.ok(
    repaired.repairs.some((r) => /retrained from 72 labels/.test(r)),
    repaired.repairs.join('; '),
  );

  // 3. Read-only: writers are refused with the cause; readers still work; nothing changes.
  const storeDir2 = path.join(mnt, 'store2');
  await (await EmbeddedStore.openOrCreate(storeDir2, identity)).close();
  const frozen = snapshot(mnt);
  remount(mnt, 'ro');
  try {
    await assert.rejects(EmbeddedStore.open(storeDir2, identity), /store2.*read-only \(EROFS\)/);
    const reader = await EmbeddedStore.open(storeDir2, identity, 'read');
    assert.equal(await reader.count(), 0);
    await reader.close();
    const head = repaired.session;
    await assert.rejects(
      head.submit((await head.nextBatch(5, 'top')).map((c) => ({ id: c.id, score: 1 }))),
      /heads\/h\/labels\.jsonl: cannot write: the file system is read-only \(EROFS\)/,
    );
  } finally {
    remount(mnt, 'rw');
  }
  assert.deepEqual(snapshot(mnt), frozen);
  await small.close();
}
