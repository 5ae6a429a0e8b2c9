// A tiny test runner for test entries that run inside the VS Code extension host (no mocha needed,
// so nothing has to resolve from the extension host's module paths). Tests run one after another,
// each with its own timeout; the run prints `N passed, N failed[, N skipped]` alone on its last line
// (the closing line CI reads) and rejects when any test failed, so VS Code exits non-zero.
//
//   const { createSuite } = require('.../tools/vscode-test/ext/mini-test.js');
//   const suite = createSuite('my extension');
//   suite.test('activates', async () => { ... });
//   suite.test('needs a page', async (t) => { if (!driver.available()) return t.skip('no driver'); ... });
//   exports.run = () => suite.run();
'use strict';

const util = require('node:util');

class SkipError extends Error {}

function createSuite(title, { timeoutMs: defaultTimeout = 20_000, log = (s) => console.log(s) } = {}) {
  const tests = [];
  return {
    /** @param {string} name @param {(t: {skip(reason?: string): never}) => any} fn */
    test(name, fn, { timeoutMs } = {}) {
      tests.push({ name, fn, timeoutMs: timeoutMs ?? defaultTimeout });
    },
    async run() {
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      log(title);
      for (const { name, fn, timeoutMs } of tests) {
        const t0 = Date.now();
        const t = {
          skip(reason) {
            throw new SkipError(reason || 'skipped');
          },
        };
        let timer;
        try {
          await Promise.race([
            Promise.resolve().then(() => fn(t)),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          passed++;
          log(`  ok   ${name} (${Date.now() - t0} ms)`);
        } catch (err) {
          if (err instanceof SkipError) {
            skipped++;
            log(`  skip ${name}: ${err.message}`);
          } else {
            failed++;
            log(`  FAIL ${name} (${Date.now() - t0} ms)`);
            log(String(err && err.stack ? err.stack : util.inspect(err)).replace(/^/gm, '       '));
          }
        } finally {
          clearTimeout(timer);
        }
      }
      log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
      if (failed > 0) throw new Error(`${failed} test(s) failed`);
    },
  };
}

module.exports = { createSuite };
