// The workbench URL that opens the workspace and runs the extension's tests, as VS Code's own
// browser integration tests do: `?folder=...&payload=[[name, value], ...]`.
'use strict';

/**
 * @param {object} o
 * @param {string} o.authority 127.0.0.1:PORT of code-server
 * @param {string} o.workspaceFolder absolute folder to open
 * @param {string} o.extensionDevelopmentPath absolute folder of the extension under test
 * @param {string} o.extensionTestsPath absolute path of the test entry (a module exporting run())
 */
function workbenchUrl({ authority, workspaceFolder, extensionDevelopmentPath, extensionTestsPath }) {
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${extensionDevelopmentPath}`],
    ['extensionTestsPath', `vscode-remote://${authority}${extensionTestsPath}`],
    ['skipWelcome', 'true'],
  ];
  const folder = encodeURIComponent(workspaceFolder);
  return `http://${authority}/?folder=${folder}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

module.exports = { workbenchUrl };
