// Fixture extension for the offline VS Code harness: one command that opens a webview panel with a
// button under a strict, nonce-based CSP. A click posts a message back; activate() returns an API
// through which the tests see those messages.
'use strict';

const { randomBytes } = require('node:crypto');
const vscode = require('vscode');

function html(webview, nonce) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Harness fixture</title>
<style nonce="${nonce}">
  body { font-family: sans-serif; padding: 1em; }
  button { font-size: 1.2em; padding: 0.4em 1em; }
</style>
</head>
<body>
<h1>Harness fixture</h1>
<button id="hello" type="button">Say hello</button>
<p id="status">not clicked</p>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  let clicks = 0;
  document.getElementById('hello').addEventListener('click', () => {
    clicks++;
    document.getElementById('status').textContent = 'clicked ' + clicks;
    vscode.postMessage({ type: 'hello', clicks });
  });
  vscode.postMessage({ type: 'ready' });
</script>
</body>
</html>`;
}

function activate(context) {
  const emitter = new vscode.EventEmitter();
  const api = {
    /** every message the webview posted, in order */
    messages: [],
    /** fires with each message */
    onMessage: emitter.event,
    /** the open panel, if any */
    panel: undefined,
  };
  context.subscriptions.push(
    emitter,
    vscode.commands.registerCommand('vscodeHarnessFixture.openPanel', () => {
      if (api.panel) {
        api.panel.reveal();
        return;
      }
      const panel = vscode.window.createWebviewPanel('vscodeHarnessFixture', 'Harness Fixture', vscode.ViewColumn.One, {
        enableScripts: true,
        localResourceRoots: [],
      });
      panel.webview.onDidReceiveMessage((msg) => {
        api.messages.push(msg);
        emitter.fire(msg);
      });
      panel.onDidDispose(() => (api.panel = undefined));
      panel.webview.html = html(panel.webview, randomBytes(16).toString('base64'));
      api.panel = panel;
    }),
  );
  return api;
}

function deactivate() {}

module.exports = { activate, deactivate };
