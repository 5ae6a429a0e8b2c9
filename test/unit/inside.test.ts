import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveInside } from '../../src/core/fs/inside';
import { tempDir } from '../helpers/temp';

test('record paths resolve only to files inside the workspace, symlinks followed to where they really point', async (t) => {
  const base = await tempDir(t);
  const root = path.join(base, 'workspace');
  fs.mkdirSync(path.join(root, 'images'), { recursive: true });
  fs.writeFileSync(path.join(root, 'images', 'a.jpg'), 'x');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'images', 'escape.jpg'));
  fs.symlinkSync(path.join(root, 'images', 'a.jpg'), path.join(root, 'images', 'alias.jpg'));
  fs.symlinkSync(base, path.join(root, 'up'));

  assert.equal(resolveInside(root, 'images/a.jpg'), fs.realpathSync(path.join(root, 'images', 'a.jpg')));
  assert.equal(
    resolveInside(root, 'images/alias.jpg'),
    fs.realpathSync(path.join(root, 'images', 'a.jpg')),
    'a link within the workspace is fine',
  );
  const refused = [
    '../secret.txt',
    'images/../../secret.txt',
    path.join(base, 'secret.txt'),
    'images/escape.jpg',
    'up/secret.txt',
    'images/missing.jpg',
    '',
    '.',
    'images/a.jpg\0.png',
  ];
  for (const p of refused) assert.equal(resolveInside(root, p), undefined, JSON.stringify(p));
});
