// Starting a run, in order: the page driver's server, code-server (after any .vsix installs), Chromium
// with VS Code's automation hooks, then the workbench with the test payload.
'use strict';

const path = require('node:path');
const { saveLogFiles } = require('./artifacts');
const { exposeAutomationHooks, launchChromium, openPage } = require('./browser');
const { installExtensions, prepareState, serverEnv, spawnCodeServer, untilListening } = require('./code-server');
const { BUILTIN_HANDLERS, DRIVER_URL_VAR, driverContext, loadDriver, startDriverServer } = require('./driver-server');
const { EXIT_HARNESS_ERROR } = require('./exit-codes');
const { workbenchUrl } = require('./payload');
const { RUN_ID_VAR, startWatchdog } = require('./processes');
const { freePort, withTimeout } = require('./util');

/** Starts everything in order; returns early once the run has finished (a timeout, code-server gone). */
async function start(run) {
  const port = await freePort();
  prepareState(run.stateDir, run.opts.settings);
  const driverUrl = await startDriver(run);
  const env = serverEnv(run.stateDir, {
    [RUN_ID_VAR]: run.runId,
    [DRIVER_URL_VAR]: driverUrl,
    ...(run.opts.env || {}),
  });
  installExtensions(run.opts.installExtensions, { stateDir: run.stateDir, env, log: run.log });
  await startServer(run, port, env);
  if (run.exitCode !== undefined) return;
  run.log('code-server is listening');
  await startBrowser(run);
  if (run.exitCode !== undefined) return; // timed out meanwhile: cleanup closes the browser
  await openWorkbench(run, port);
}

/** The page driver's RPC server, with the built-in handlers and the driver module's; resolves with its URL. */
async function startDriver(run) {
  const ctx = driverContext(
    () => run.page,
    (name) => run.screenshots.take(name),
    run.log,
  );
  const handlers = { ...BUILTIN_HANDLERS, ...loadDriver(run.opts.driver) };
  run.driverServer = await startDriverServer(handlers, ctx, run.log);
  return `http://127.0.0.1:${run.driverServer.address().port}/`;
}

/** code-server, watched by the watchdog; its exit ends the run as a harness error. Resolves once it listens. */
async function startServer(run, port, env) {
  run.log(`starting code-server on 127.0.0.1:${port} (state in ${run.stateDir})`);
  const child = spawnCodeServer(port, run.stateDir, env);
  run.codeServer = child;
  run.watchdog = startWatchdog(run.runId, child.pid, run.stateDir);
  const listening = untilListening(child, (chunk) => {
    run.codeServerLog.write(chunk);
    if (run.verbose) process.stderr.write(chunk);
  });
  child.on('exit', (code, sig) => {
    const why = `code-server exited (code ${code}, signal ${sig}); see ${path.join(run.screenshotDir, 'code-server.log')}`;
    run.finish(EXIT_HARNESS_ERROR, run.exitCode === undefined ? why : undefined);
  });
  await withTimeout(listening, 60_000, 'code-server start');
}

/** Chromium and the page, with VS Code's automation hooks exposed before the workbench loads. */
async function startBrowser(run) {
  run.browser = await launchChromium(run.chromiumPath, run.runId);
  if (run.exitCode !== undefined) return;
  run.page = await openPage(run.browser, { browserLog: run.browserLog, verbose: run.verbose });
  await exposeAutomationHooks(run.page, {
    browserLog: run.browserLog,
    verbose: run.verbose,
    output: run.output,
    onExit: (code, logFiles) => testsFinished(run, code, logFiles),
  });
}

/** VS Code settled run(): keep its client logs and a final screenshot, and end the run with its code. */
async function testsFinished(run, code, logFiles) {
  run.log(`tests finished with exit code ${code}`);
  saveLogFiles(path.join(run.screenshotDir, 'logs', 'workbench'), logFiles);
  try {
    await run.screenshots.take('final');
  } catch (e) {
    run.log(`final screenshot failed: ${e.message}`);
  }
  run.finish(Number(code) || 0);
}

async function openWorkbench(run, port) {
  const url = workbenchUrl({
    authority: `127.0.0.1:${port}`,
    workspaceFolder: run.workspaceFolder,
    extensionDevelopmentPath: run.extensionDevelopmentPath,
    extensionTestsPath: run.extensionTestsPath,
  });
  run.log(`opening workbench (extension ${run.extensionDevelopmentPath})`);
  await run.page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
}

module.exports = { start };
