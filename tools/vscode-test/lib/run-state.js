// One test run's state: its options and log, the paths it needs, its throwaway state folder and log
// files, and its outcome, settled once by the tests, the overall timeout, a signal or a harness error.
'use strict';

const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createScreenshots } = require('./artifacts');
const { DEFAULT_CHROMIUM } = require('./browser');
const { CODE_SERVER_ENTRY } = require('./code-server');
const { EXIT_SIGNAL, EXIT_TIMEOUT } = require('./exit-codes');

const DEFAULT_TIMEOUT_MS = 180_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The run's options, log and outcome; what it starts is added as it starts. `finish` settles it once. */
function createRun(opts) {
  const started = Date.now();
  const run = {
    opts,
    started,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    verbose: !!opts.verbose,
    output: opts.output || ((line) => process.stdout.write(line + '\n')),
    log: (msg) => process.stderr.write(`[vscode-test +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`),
    extensionDevelopmentPath: path.resolve(opts.extensionDevelopmentPath),
    extensionTestsPath: path.resolve(opts.extensionTestsPath),
    screenshotDir: path.resolve(opts.screenshotDir || path.join('test-results', 'vscode-test')),
    chromiumPath: opts.chromiumPath || DEFAULT_CHROMIUM,
    exitCode: undefined,
  };
  run.finished = new Promise((settle) => {
    run.finish = (code, why) => {
      if (run.exitCode !== undefined) return;
      run.exitCode = code;
      if (why) run.log(why);
      settle(code);
    };
  });
  return run;
}

function requiredPathsExist(run) {
  for (const [what, p] of [
    ['extensionDevelopmentPath', run.extensionDevelopmentPath],
    ['extensionTestsPath', run.extensionTestsPath],
    ['chromium', run.chromiumPath],
    ['code-server', CODE_SERVER_ENTRY],
  ]) {
    if (fs.existsSync(p)) continue;
    const hint = what === 'code-server' || what === 'chromium' ? ' (run scripts/install-vscode-test-deps.sh)' : '';
    run.log(`${what} not found: ${p}${hint}`);
    return false;
  }
  return true;
}

/** The run id, the throwaway state folder, the workspace, the log files and the screenshots. */
function openRunState(run) {
  run.runId = randomBytes(8).toString('hex');
  run.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-test-'));
  run.workspaceFolder = path.resolve(run.opts.workspaceFolder || fs.mkdtempSync(path.join(run.stateDir, 'workspace-')));
  run.codeServerLog = fs.createWriteStream(path.join(run.screenshotDir, 'code-server.log'));
  run.browserLog = fs.createWriteStream(path.join(run.screenshotDir, 'browser-console.log'));
  run.screenshots = createScreenshots(run.screenshotDir, () => run.page, run.log);
}

/** The overall timeout (exit 124) and SIGINT/SIGTERM/SIGHUP (exit 130) end the run; returns what stops watching. */
function watchTimeoutAndSignals(run) {
  const timer = setTimeout(
    () => run.finish(EXIT_TIMEOUT, `TIMEOUT: no result after ${run.timeoutMs} ms`),
    run.timeoutMs,
  );
  const onSignal = (sig) => run.finish(EXIT_SIGNAL, `got ${sig}, cleaning up`);
  for (const sig of SIGNALS) process.once(sig, onSignal);
  return () => {
    clearTimeout(timer);
    for (const sig of SIGNALS) process.removeListener(sig, onSignal);
  };
}

module.exports = { createRun, requiredPathsExist, openRunState, watchTimeoutAndSignals };
