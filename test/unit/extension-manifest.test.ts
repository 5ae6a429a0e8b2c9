import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/temp';

/**
 * Restricted Mode: Vector Tune runs ONNX models on workspace files and writes into the workspace, so it declares
 * that it does not support untrusted workspaces; VS Code then keeps it inactive (no commands, no worker) until the
 * user trusts the folder. Virtual workspaces (no local files) are declared unsupported for the same reason.
 */
test('the manifest declares no support for untrusted and virtual workspaces, with the reason shown to users', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const untrusted = manifest.capabilities?.untrustedWorkspaces;
  assert.equal(untrusted?.supported, false);
  assert.match(untrusted.description, /trusted workspaces/);
  assert.equal(manifest.capabilities.virtualWorkspaces, false);
  // Secrets never become settings: the Pinecone key has a command and SecretStorage, and no setting.
  const settings = Object.keys(manifest.contributes.configuration.properties ?? {});
  assert.ok(
    settings.every((s) => !/key|secret|token|password/i.test(s)),
    settings.join(', '),
  );
  assert.ok(
    manifest.contributes.commands.some((c: { command: string }) => c.command === 'vectorTune.setPineconeApiKey'),
  );
});
