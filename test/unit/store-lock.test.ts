import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { seededRecords } from '../helpers/store-reference';
import { REPO_ROOT, tempDir } from '../helpers/temp';

/** Two processes on one store: the second writer is refused clearly, readers are not, a killed holder frees it. */
const identity = { modelId: 'test/lock', dimension: 8 };
const HOLDER = path.join(REPO_ROOT, 'test/helpers/hold-store.ts');

function holdStore(dir: string, append = 0): Promise<{ child: ChildProcess; pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir, ...(append ? [String(append)] : [])], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^open (\d+)/m.exec(out);
      if (m) resolve({ child, pid: Number(m[1]) });
      else if (/^error /m.test(out)) reject(new Error(out));
    });
    child.on('exit', (code) => reject(new Error(`holder exited with ${code}: ${out}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );
}

test('a second process cannot open a store for writing while another has it; reading still works', async (t) => {
  const dir = await tempDir(t);
  const created = await EmbeddedStore.openOrCreate(dir, identity);
  await created.upsert(seededRecords(20, 8, 1));
  await created.close();
  assert.equal(fs.existsSync(EmbeddedStore.lockPath(dir)), false, 'closing releases the lock');

  const holder = await holdStore(dir, 5);
  try {
    await assert.rejects(EmbeddedStore.open(dir), (err: Error) => {
      assert.match(
        err.message,
        new RegExp(`open for writing in another Vector Tune process \\(hold-store.ts, pid ${holder.pid}, since `),
      );
      assert.match(err.message, /writer\.lock/);
      assert.match(err.message, /Close the other VS Code window/);
      return true;
    });
    await assert.rejects(EmbeddedStore.openOrCreate(dir, identity), /open for writing in another Vector Tune process/);
    const reader = await EmbeddedStore.open(dir, identity, 'read');
    assert.equal(await reader.count(), 25, 'a reader sees what the holder committed');
    assert.equal((await reader.query(new Float32Array(8).fill(1), { k: 3, ranking: { kind: 'top' } })).length, 3);
    await assert.rejects(reader.upsert(seededRecords(1, 8, 2, 'x')), /opened read-only/);
    await assert.rejects(reader.markSeen('h', ['r1']), /opened read-only/);
    await reader.close();
  } finally {
    holder.child.stdin!.end();
    await exited(holder.child);
  }
  const after = await EmbeddedStore.open(dir);
  assert.equal(await after.count(), 25);
  await after.close();
});

test('a holder killed with SIGKILL leaves a stale lock that the next writer takes over', async (t) => {
  const dir = await tempDir(t);
  await (await EmbeddedStore.openOrCreate(dir, identity)).close();
  const holder = await holdStore(dir);
  holder.child.kill('SIGKILL');
  await exited(holder.child);
  assert.equal(
    JSON.parse(fs.readFileSync(EmbeddedStore.lockPath(dir), 'utf8')).pid,
    holder.pid,
    'the killed holder left its lock',
  );
  const store = await EmbeddedStore.open(dir);
  assert.equal(JSON.parse(fs.readFileSync(EmbeddedStore.lockPath(dir), 'utf8')).pid, process.pid);
  await store.close();
});

test('inside one process the lock is shared and goes with the last close; a lock from another host is never broken', async (t) => {
  const dir = await tempDir(t);
  const a = await EmbeddedStore.openOrCreate(dir, identity);
  const b = await EmbeddedStore.open(dir);
  await a.close();
  assert.ok(fs.existsSync(EmbeddedStore.lockPath(dir)), 'still held by b');
  await b.close();
  assert.equal(fs.existsSync(EmbeddedStore.lockPath(dir)), false);

  fs.writeFileSync(
    EmbeddedStore.lockPath(dir),
    JSON.stringify({ pid: 1, hostname: 'build-server-7', since: '2026-01-01T00:00:00Z', purpose: 'cli.js' }),
  );
  await assert.rejects(
    EmbeddedStore.open(dir),
    /another Vector Tune process \(cli\.js, pid 1 on build-server-7, .*delete this lock file/s,
  );
});
