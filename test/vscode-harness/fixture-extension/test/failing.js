// Test entry that must FAIL: proves a failing test makes the harness exit non-zero.
'use strict';

const assert = require('node:assert/strict');
const vscode = require('vscode');
const { createSuite } = require('../../../../tools/vscode-test/ext/mini-test.js');

const suite = createSuite('vscode-harness fixture (deliberately failing)');

suite.test('passes', async () => {
  assert.ok(vscode.extensions.getExtension('vector-tune-test.vscode-harness-fixture'));
});

suite.test('fails on purpose', async () => {
  assert.equal(1 + 1, 3, 'deliberate failure');
});

exports.run = () => suite.run();
