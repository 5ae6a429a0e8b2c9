#!/usr/bin/env node
// Runs the fixture extension's tests in the offline VS Code harness.
//   node test/vscode-harness/run.js [pass|fail|hang|skip|skip-declared] [--timeout-ms N]
// pass (default): the real suite, exits 0; fail: a deliberately failing suite, exits 1;
// hang: a suite that never ends, exits 124 when the overall timeout fires;
// skip: a suite with a test that skips, unexpected in this run, exits 1;
// skip-declared: the same suite in a run that declares that skip, exits 0.
'use strict';

const path = require('node:path');
const { runVsCodeTests } = require('../../tools/vscode-test/run.js');
const { EXPECTED_SKIPS_VAR } = require('../../tools/vscode-test/ext/mini-test.js');

const here = __dirname;
const argv = process.argv.slice(2);
const mode = argv.find((a) => !a.startsWith('--')) || 'pass';
const tIdx = argv.indexOf('--timeout-ms');
const entries = {
  pass: 'index.js',
  fail: 'failing.js',
  hang: 'hanging.js',
  skip: 'skipping.js',
  'skip-declared': 'skipping.js',
};
if (!entries[mode]) {
  console.error(`unknown mode ${mode}: use ${Object.keys(entries).join(', ')}`);
  process.exit(2);
}

runVsCodeTests({
  extensionDevelopmentPath: path.join(here, 'fixture-extension'),
  extensionTestsPath: path.join(here, 'fixture-extension', 'test', entries[mode]),
  workspaceFolder: path.join(here, 'workspace'),
  driver: path.join(here, 'driver.js'),
  screenshotDir: path.join(here, '..', '..', 'test-results', 'vscode-harness', mode),
  timeoutMs: tIdx >= 0 ? Number(argv[tIdx + 1]) : mode === 'hang' ? 30_000 : 120_000,
  verbose: argv.includes('--verbose'),
  env: mode === 'skip-declared' ? { [EXPECTED_SKIPS_VAR]: 'fixture-skip' } : {},
}).then((code) => process.exit(code));
