import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { removeDeadWritersTemporaries, removeTemporariesUnderLock, writeFileAtomic } from '../../src/core/fs/durable';
import { tempDir } from '../helpers/temp';

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test("a killed writer's temporary is removed; a live writer's and every other file stay", async (t) => {
  const dir = await tempDir(t);
  await writeFileAtomic(path.join(dir, 'classifier.weights.json'), '{}\n');
  const dead = `.classifier.weights.json.${deadPid()}.1700000000000.tmp`;
  const live = `.classifier.weights.json.${process.pid}.1700000000001.tmp`;
  const parent = `.eval.json.${process.ppid}.1700000000002.tmp`;
  const unrelated = ['.hidden.tmp', 'notes.tmp', '.classifier.weights.json.tmp', 'labels.jsonl'];
  for (const name of [dead, live, parent, ...unrelated]) await fs.writeFile(path.join(dir, name), 'x');

  await removeDeadWritersTemporaries(dir);
  assert.deepEqual((await fs.readdir(dir)).sort(), ['classifier.weights.json', live, parent, ...unrelated].sort());
});

test("under a writer lock every temporary goes, a live pid's too; other files stay", async (t) => {
  const dir = await tempDir(t);
  const temporaries = [
    `.manifest.json.${process.pid}.1700000000000.tmp`,
    `.seen.txt.${deadPid()}.1.tmp`,
    '.old-style.tmp',
  ];
  const others = ['manifest.json', 'notes.tmp', 'vectors-0.f32'];
  for (const name of [...temporaries, ...others]) await fs.writeFile(path.join(dir, name), 'x');

  await removeTemporariesUnderLock(dir);
  assert.deepEqual((await fs.readdir(dir)).sort(), others.sort());
});

test('a folder that does not exist is left alone (not created, no error)', async (t) => {
  const absent = path.join(await tempDir(t), 'absent');
  await assert.doesNotReject(removeDeadWritersTemporaries(absent));
  await assert.doesNotReject(removeTemporariesUnderLock(absent));
  await assert.rejects(fs.access(absent), { code: 'ENOENT' });
});
