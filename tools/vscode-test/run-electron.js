#!/usr/bin/env node
// The same extension test entry, run with @vscode/test-electron in desktop VS Code (Electron), for
// contributors whose machine reaches the internet: @vscode/test-electron downloads VS Code into
// .vscode-test/ at run time (not at install time), which this project's machines and CI cannot do.
// There is no playwright page here, so tests that need the page driver skip themselves
// (ext/driver-client.js: available() is false), and this run declares those skips as expected
// (VSCODE_TEST_EXPECTED_SKIPS=no-driver; ext/mini-test.js fails any other skip). On Linux without a
// display, run it under xvfb-run.
//
//   node tools/vscode-test/run-electron.js --extension-development-path DIR --extension-tests-path FILE
//        [--workspace DIR] [--vscode-version 1.100.3]
'use strict';

const path = require('node:path');
const { NO_DRIVER, URL_VAR } = require('./ext/driver-client.js');
const { EXPECTED_SKIPS_VAR } = require('./ext/mini-test.js');

function parse(argv) {
  const o = { vscodeVersion: '1.100.3' };
  const names = {
    '--extension-development-path': 'extensionDevelopmentPath',
    '--extension-tests-path': 'extensionTestsPath',
    '--workspace': 'workspaceFolder',
    '--vscode-version': 'vscodeVersion',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]];
    if (!key || argv[i + 1] === undefined) throw new Error(`bad argument: ${argv[i]}`);
    o[key] = argv[++i];
  }
  if (!o.extensionDevelopmentPath || !o.extensionTestsPath)
    throw new Error('--extension-development-path and --extension-tests-path are required');
  return o;
}

async function main() {
  let o;
  try {
    o = parse(process.argv.slice(2));
  } catch (e) {
    console.error(
      `${e.message}\nusage: node tools/vscode-test/run-electron.js --extension-development-path DIR --extension-tests-path FILE [--workspace DIR] [--vscode-version V]`,
    );
    return 2;
  }
  const { runTests } = require('@vscode/test-electron');
  const launchArgs = ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'];
  if (o.workspaceFolder) launchArgs.unshift(path.resolve(o.workspaceFolder));
  try {
    return await runTests({
      version: o.vscodeVersion,
      extensionDevelopmentPath: path.resolve(o.extensionDevelopmentPath),
      extensionTestsPath: path.resolve(o.extensionTestsPath),
      launchArgs,
      // The page driver exists only in the code-server harness: the tests that need it skip, as declared here.
      extensionTestsEnv: { [URL_VAR]: undefined, [EXPECTED_SKIPS_VAR]: NO_DRIVER },
    });
  } catch (err) {
    // runTests rejects on a non-zero exit of VS Code as well as on a failed download.
    console.error(String(err && err.message ? err.message : err));
    return 1;
  }
}

main().then((code) => process.exit(code));
