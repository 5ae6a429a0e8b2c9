import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveModelRef } from '../../src/worker/engine-config';
import { modelSettingFor } from '../../src/extension/model-setting';

/** What Select Model... writes for a folder, and that the worker reads it back as the same folder. */
const root = path.resolve('/work/project');

test('a folder inside the workspace is written ./-relative with forward slashes, and resolves back to itself', () => {
  const folder = path.join(root, 'models', 'clip b32');
  const written = modelSettingFor(folder, root);
  assert.deepEqual(written, { value: './models/clip b32', inWorkspace: true });
  assert.equal(resolveModelRef(written.value, root), folder);
  assert.deepEqual(modelSettingFor(root, root), { value: '.', inWorkspace: true });
});

test('a folder outside the workspace stays absolute and is flagged for the user settings', () => {
  for (const folder of [path.resolve('/opt/models/clip'), path.join(root, '..', 'project-models')]) {
    const written = modelSettingFor(folder, root);
    assert.equal(written.inWorkspace, false);
    assert.equal(written.value, path.resolve(folder));
    assert.equal(resolveModelRef(written.value, root), path.resolve(folder));
  }
});

test('a workspace folder whose name starts with two dots is still inside it', () => {
  assert.deepEqual(modelSettingFor(path.join(root, '..models'), root), { value: './..models', inWorkspace: true });
});
