// A tiny test runner for test entries that run inside the VS Code extension host (no mocha needed,
// so nothing has to resolve from the extension host's module paths). Tests run one after another,
// each with its own timeout; the run prints `N passed, N failed` alone on a line (the closing line CI
// reads), then a line counting skips, and rejects when any test failed, so VS Code exits non-zero.
//
// Nothing is skipped in silence. A test skips with a reason and a condition: `t.skip(reason, condition)`.
// The skip is expected only when the run declared that condition in VSCODE_TEST_EXPECTED_SKIPS (a
// comma-separated list, e.g. `no-driver`, which tools/vscode-test/run-electron.js sets: it has no page
// driver). Any other skip is a failure: counted in `failed`, printed as FAIL with the test's name.
//
//   const { createSuite } = require('.../tools/vscode-test/ext/mini-test.js');
//   const suite = createSuite('my extension');
//   suite.test('activates', async () => { ... });
//   suite.test('needs a page', async (t) => {
//     if (!driver.available()) return t.skip('needs the page driver', driver.NO_DRIVER);
//     ...
//   });
//   exports.run = () => suite.run();
'use strict';

const util = require('node:util');

/** Where a run declares the skip conditions it expects (comma-separated). */
const EXPECTED_SKIPS_VAR = 'VSCODE_TEST_EXPECTED_SKIPS';

class SkipError extends Error {
  constructor(reason, condition) {
    super(reason || 'skipped');
    this.condition = condition;
  }
}

/** The skip conditions this run declared. */
function expectedSkips(env = process.env) {
  return new Set(
    String(env[EXPECTED_SKIPS_VAR] || '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Runs fn(t) within timeoutMs: resolves with 'pass', or a SkipError, or rejects with the failure. */
async function runOne(fn, timeoutMs) {
  const t = {
    skip(reason, condition) {
      throw new SkipError(reason, condition);
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
    return 'pass';
  } catch (err) {
    if (err instanceof SkipError) return err;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The line after the closing line: how many skipped, which were expected, which were not (and so failed). */
function skipLine(expected, unexpected, declared) {
  const total = expected.length + unexpected.length;
  const parts = [`${total} skipped`];
  if (expected.length) parts.push(`${expected.length} expected by this run (${[...declared].join(', ')})`);
  if (unexpected.length) {
    const names = unexpected.map((n) => `"${n}"`).join(', ');
    parts.push(`${unexpected.length} not expected, counted as failed: ${names}`);
  }
  return parts.join('; ');
}

function createSuite(title, { timeoutMs: defaultTimeout = 20_000, log = (s) => console.log(s), env } = {}) {
  const tests = [];
  return {
    /**
     * @param {string} name
     * @param {(t: {skip(reason: string, condition?: string): never}) => any} fn
     */
    test(name, fn, { timeoutMs } = {}) {
      tests.push({ name, fn, timeoutMs: timeoutMs ?? defaultTimeout });
    },
    async run() {
      const declared = expectedSkips(env);
      const failed = [];
      const expected = [];
      const unexpected = [];
      let passed = 0;
      log(title);
      if (declared.size) log(`  (this run expects skips for: ${[...declared].join(', ')})`);
      for (const { name, fn, timeoutMs } of tests) {
        const t0 = Date.now();
        try {
          const outcome = await runOne(fn, timeoutMs);
          if (outcome === 'pass') {
            passed++;
            log(`  ok   ${name} (${Date.now() - t0} ms)`);
          } else if (outcome.condition && declared.has(outcome.condition)) {
            expected.push(name);
            log(`  skip ${name}: ${outcome.message} (expected: ${outcome.condition})`);
          } else {
            unexpected.push(name);
            failed.push(name);
            const why = outcome.condition ? `"${outcome.condition}"` : 'no condition';
            log(`  FAIL ${name}: skipped (${outcome.message}), but this run expects no skip for ${why}`);
          }
        } catch (err) {
          failed.push(name);
          log(`  FAIL ${name} (${Date.now() - t0} ms)`);
          log(String(err && err.stack ? err.stack : util.inspect(err)).replace(/^/gm, '       '));
        }
      }
      log(`${passed} passed, ${failed.length} failed`);
      log(skipLine(expected, unexpected, declared));
      if (failed.length > 0)
        throw new Error(`${failed.length} test(s) failed: ${failed.map((n) => `"${n}"`).join(', ')}`);
    },
  };
}

module.exports = { createSuite, EXPECTED_SKIPS_VAR };
