// Test entry for the fixture extension. It runs inside the VS Code extension host (code-server via
// tools/vscode-test/run.js, or Electron via tools/vscode-test/run-electron.js): VS Code requires this
// file and awaits run(). Require paths are plain relative paths, which resolve there too.
'use strict';

const assert = require('node:assert/strict');
const vscode = require('vscode');
const { createSuite } = require('../../../../tools/vscode-test/ext/mini-test.js');
const driver = require('../../../../tools/vscode-test/ext/driver-client.js');

const EXT_ID = 'vector-tune-test.vscode-harness-fixture';
const suite = createSuite('vscode-harness fixture');

/** Resolves with the first message matching pred (already received or still to come). */
function nextMessage(api, pred, timeoutMs) {
  const seen = api.messages.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no matching webview message in ${timeoutMs} ms (got ${JSON.stringify(api.messages)})`));
    }, timeoutMs);
    const sub = api.onMessage((m) => {
      if (pred(m)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(m);
      }
    });
  });
}

let api;

suite.test('extension activates', async () => {
  const ext = vscode.extensions.getExtension(EXT_ID);
  assert.ok(ext, `${EXT_ID} is loaded`);
  api = await ext.activate();
  assert.equal(ext.isActive, true);
  assert.ok(Array.isArray(api.messages));
});

suite.test('command is registered', async () => {
  const all = await vscode.commands.getCommands(true);
  assert.ok(all.includes('vscodeHarnessFixture.openPanel'));
});

suite.test('webview panel opens and its script runs', async () => {
  await vscode.commands.executeCommand('vscodeHarnessFixture.openPanel');
  assert.ok(api.panel, 'panel created');
  assert.equal(api.panel.title, 'Harness Fixture');
  // The page script posts 'ready' once it ran under the nonce CSP.
  await nextMessage(api, (m) => m.type === 'ready', 15_000);
});

suite.test('button click in the webview (by the page driver) reaches the extension', async (t) => {
  if (!driver.available()) t.skip('no page driver in this runner', driver.NO_DRIVER);
  const before = api.messages.filter((m) => m.type === 'hello').length;
  const result = await driver.call('clickFixtureButton');
  assert.equal(result.status, 'clicked 1');
  const msg = await nextMessage(api, (m) => m.type === 'hello', 10_000);
  assert.equal(before, 0);
  assert.deepEqual(msg, { type: 'hello', clicks: 1 });
  await driver.call('screenshot', { name: 'after-click' });
});

exports.run = () => suite.run();
