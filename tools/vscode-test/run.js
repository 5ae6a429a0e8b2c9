#!/usr/bin/env node
// Offline VS Code integration-test harness.
//
// Runs an extension's test entry (a module exporting `run()`, as for @vscode/test-electron) inside a
// real VS Code: code-server 4.100.3 (VS Code 1.100.3 server + web workbench) on loopback, opened in
// Debian's headless Chromium through playwright-core. No download happens at run time.
//
// Library:  const { runVsCodeTests } = require('./run.js');
//           const code = await runVsCodeTests({ extensionDevelopmentPath, extensionTestsPath,
//                                               workspaceFolder, driver, screenshotDir, timeoutMs });
// CLI:      node tools/vscode-test/run.js --extension-development-path DIR --extension-tests-path FILE
//             [--workspace DIR] [--driver FILE] [--screenshot-dir DIR] [--timeout-ms N] [--verbose]
//
// This file runs one test run from start to cleanup; the parts live in lib/:
//   lib/run-state.js      a run's options, state folder, log files, timeout and signals, and its outcome
//   lib/start.js          starting it: driver server, code-server, Chromium, then the workbench
//   lib/code-server.js    code-server's state folder, environment, .vsix installs, start and stop
//   lib/browser.js        Chromium through playwright-core, the page, VS Code's automation hooks
//   lib/payload.js        the workbench URL with the test payload
//   lib/driver-server.js  the page driver's RPC server and built-in handlers (client: ext/driver-client.js)
//   lib/artifacts.js      screenshots and logs in the screenshot folder
//   lib/processes.js      the run id, the watchdog, and killing whatever a run left
//   lib/cli.js            the command line
//   lib/exit-codes.js     124 on the overall timeout, 2 on a harness error, 130 on a signal
//   lib/util.js           free port, sleep, timeouts
'use strict';

const fs = require('node:fs');
const { clearArtifacts, closeStream, keepServerLogs } = require('./lib/artifacts');
const { runCli } = require('./lib/cli');
const { stopCodeServer } = require('./lib/code-server');
const { DRIVER_URL_VAR, stopDriverServer, webviewFrame } = require('./lib/driver-server');
const { EXIT_HARNESS_ERROR, EXIT_TIMEOUT } = require('./lib/exit-codes');
const { killGroup, killLeftovers } = require('./lib/processes');
const { createRun, openRunState, requiredPathsExist, watchTimeoutAndSignals } = require('./lib/run-state');
const { start } = require('./lib/start');
const { sleep, withTimeout } = require('./lib/util');

/**
 * Runs the extension's tests in code-server + headless Chromium and resolves with the exit code:
 * the tests' own code, 124 on the overall timeout, 2 when the harness itself failed.
 *
 * @param {object} opts
 * @param {string} opts.extensionDevelopmentPath folder with the extension's package.json
 * @param {string} opts.extensionTestsPath the test entry (module exporting run())
 * @param {string} [opts.workspaceFolder] folder to open (default: a fresh empty temp folder)
 * @param {string|object} [opts.driver] module path (or object) exporting page handlers
 * @param {string} [opts.screenshotDir] where screenshots and logs go (default ./test-results/vscode-test)
 * @param {number} [opts.timeoutMs] hard overall limit (default 180000)
 * @param {boolean} [opts.verbose] forward code-server's and the browser's own output too
 * @param {string} [opts.chromiumPath] default /usr/bin/chromium
 * @param {Record<string,string>} [opts.env] extra environment for code-server and the extension host
 * @param {Record<string,unknown>} [opts.settings] extra VS Code user settings
 * @param {string[]} [opts.installExtensions] .vsix files installed into this run's extensions folder first
 * @param {(line: string) => void} [opts.output] where the tests' log lines go (default stdout)
 * @returns {Promise<number>}
 */
async function runVsCodeTests(opts) {
  const run = createRun(opts);
  if (!requiredPathsExist(run)) return EXIT_HARNESS_ERROR;
  clearArtifacts(run.screenshotDir);
  openRunState(run);
  const stopWatching = watchTimeoutAndSignals(run);
  const starting = start(run).catch((err) =>
    run.finish(EXIT_HARNESS_ERROR, `harness error: ${(err && err.stack) || err}`),
  );
  const code = await run.finished;
  // A timeout can fire while start() is still starting things: give it a moment to hand them over.
  await Promise.race([starting, sleep(5_000)]);
  stopWatching();
  await cleanup(run, code);
  return code;
}

/**
 * Always, whatever the outcome: a screenshot of a failure, then Chromium, the driver server,
 * code-server's process group, every process left with the run id, the server logs kept, the
 * watchdog, the log files, the state folder; then the closing lines.
 */
async function cleanup(run, code) {
  if (code !== 0 && run.page && run.screenshots.count === 0) {
    await run.screenshots.take(code === EXIT_TIMEOUT ? 'timeout' : 'failure').catch(() => {});
  }
  if (run.browser) await withTimeout(run.browser.close(), 10_000, 'browser close').catch((e) => run.log(e.message));
  if (run.driverServer) stopDriverServer(run.driverServer);
  if (run.codeServer) await stopCodeServer(run.codeServer);
  await killLeftovers(run.runId, run.log);
  keepServerLogs(run.stateDir, run.screenshotDir, run.log);
  if (run.watchdog) killGroup(run.watchdog.pid, 'SIGKILL');
  await closeStream(run.codeServerLog);
  await closeStream(run.browserLog);
  fs.rmSync(run.stateDir, { recursive: true, force: true, maxRetries: 3 });
  summarise(run, code);
}

/** The harness's closing lines (stderr): where the artifacts are when the run failed, the time and the exit code. */
function summarise(run, code) {
  if (code !== 0) run.log(`screenshots and logs: ${run.screenshotDir}`);
  run.log(`done in ${((Date.now() - run.started) / 1000).toFixed(1)} s, exit code ${code}`);
}

if (require.main === module) runCli(runVsCodeTests, EXIT_HARNESS_ERROR);

module.exports = { runVsCodeTests, webviewFrame, DRIVER_URL_VAR, EXIT_TIMEOUT, EXIT_HARNESS_ERROR };
