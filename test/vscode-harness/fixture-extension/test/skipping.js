// Test entry with a test that skips: proves that a skip the run did not declare fails the run (exit 1,
// the test named), and that one it declared (VSCODE_TEST_EXPECTED_SKIPS=fixture-skip) does not.
'use strict';

const assert = require('node:assert/strict');
const vscode = require('vscode');
const { createSuite } = require('../../../../tools/vscode-test/ext/mini-test.js');

const suite = createSuite('vscode-harness fixture (a test that skips)');

suite.test('passes', async () => {
  assert.ok(vscode.extensions.getExtension('vector-tune-test.vscode-harness-fixture'));
});

suite.test('skips on purpose', async (t) => {
  t.skip('the fixture skips this one', 'fixture-skip');
});

exports.run = () => suite.run();
