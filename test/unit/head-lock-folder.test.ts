/**
 * A head's writer lock lives in `<head>/.local/`, so taking it makes the folder. When nothing of a head was written
 * (a command naming a head that does not exist, a `start` that failed), releasing the lock takes the folder away
 * again: a failed `rank nohead` used to leave `nohead/.local/.gitignore` behind, one more empty head per typo.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { CliIo } from '../../src/cli/command';
import { runCli } from '../../src/cli/main';
import { lockHead } from '../../src/core/head/head-lock';
import { tempDir } from '../helpers/temp';

test('releasing the lock removes a head folder that only the lock made, and nothing else', async (t) => {
  const heads = await tempDir(t);
  const fresh = path.join(heads, 'fresh');
  lockHead(fresh).release();
  assert.equal(fs.existsSync(fresh), false, 'the folder the lock made is gone');

  const written = path.join(heads, 'written');
  const lock = lockHead(written);
  fs.writeFileSync(path.join(written, 'classifier.weights.json'), '{}');
  lock.release();
  assert.ok(fs.existsSync(path.join(written, 'classifier.weights.json')), 'a head written under the lock stays');
  assert.equal(fs.existsSync(path.join(written, '.local', 'writer.lock')), false, 'the lock file is gone');

  const existing = path.join(heads, 'existing');
  fs.mkdirSync(existing);
  fs.writeFileSync(path.join(existing, 'notes.txt'), 'mine');
  lockHead(existing).release();
  assert.equal(fs.readFileSync(path.join(existing, 'notes.txt'), 'utf8'), 'mine', 'a folder that was there stays');
});

test('a CLI command naming a head that does not exist fails and leaves no folder', async (t) => {
  const ws = await tempDir(t);
  const err: string[] = [];
  const io: CliIo = { out: () => {}, err: (l) => err.push(l), cwd: ws, env: {} };
  assert.equal(await runCli(['reset-seen', 'nohead'], io), 1, err.join('\n'));
  assert.equal(fs.existsSync(path.join(ws, 'vectortune', 'heads', 'nohead')), false, err.join('\n'));
});
