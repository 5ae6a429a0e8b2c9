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
// Driver channel: the extension-side tests cannot reach playwright, so the harness serves a tiny
// JSON RPC on a loopback HTTP port and hands its URL to the extension host in the environment
// (VSCODE_TEST_DRIVER_URL). The tests call `driver.call(name, args)` (tools/vscode-test/client.js);
// the harness runs the handler of that name — built in, or exported by the `driver` module — with
// the playwright `page`, and answers with its result. The tests stay in charge of ordering.
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const CODE_SERVER_ENTRY = path.join(__dirname, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const DEFAULT_TIMEOUT_MS = 180_000;
const EXIT_TIMEOUT = 124; // like coreutils `timeout`
const EXIT_HARNESS_ERROR = 2;
const RUN_ID_VAR = 'VSCODE_TEST_RUN_ID';
const DRIVER_URL_VAR = 'VSCODE_TEST_DRIVER_URL';

const CHROMIUM_ARGS = [
  '--no-sandbox', // we are root
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking', // otherwise Chromium keeps dialling hosts this machine cannot reach
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Webview content of the active webview panel (VS Code nests two iframes). */
function webviewFrame(page, { index } = {}) {
  const outer = page.locator('iframe.webview');
  const chosen = index === undefined ? outer.last() : outer.nth(index);
  return chosen.contentFrame().frameLocator('iframe#active-frame');
}

/** Handlers every run has, whether or not a driver module is given. */
const BUILTIN_HANDLERS = {
  /** Saves a screenshot: args.name (file stem). Returns the path. */
  async screenshot(ctx, args = {}) {
    return ctx.screenshot(String(args.name || `step-${Date.now()}`));
  },
  /** Clicks args.selector in the page, or in the active webview when args.webview is true. */
  async click(ctx, args = {}) {
    const root = args.webview ? ctx.webview() : ctx.page;
    await root
      .locator(args.selector)
      .first()
      .click({ timeout: args.timeoutMs ?? 10_000 });
    return true;
  },
  /** Returns the text content of args.selector (page or active webview). */
  async text(ctx, args = {}) {
    const root = args.webview ? ctx.webview() : ctx.page;
    return root
      .locator(args.selector)
      .first()
      .textContent({ timeout: args.timeoutMs ?? 10_000 });
  },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves with fn's value, or rejects after ms. */
function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** Pids of live processes whose environment carries VSCODE_TEST_RUN_ID=<runId> (Linux /proc). */
function pidsWithRunId(runId) {
  const needle = Buffer.from(`${RUN_ID_VAR}=${runId}\0`);
  const found = [];
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/environ`).includes(needle)) found.push(Number(e));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/**
 * A shell that outlives this process only to clean up after it: should the harness die without
 * its own cleanup (SIGKILL, an outer CI timeout), it kills code-server's process group and every
 * process carrying the run id, and removes the state folder. Normal cleanup kills it at the end.
 */
function startWatchdog(runId, codeServerPid, stateDir) {
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    `kill -KILL -- -${codeServerPid} 2>/dev/null`,
    `for p in /proc/[0-9]*; do`,
    `  grep -qa '${RUN_ID_VAR}=${runId}' "$p/environ" 2>/dev/null && kill -KILL "\${p#/proc/}" 2>/dev/null`,
    `done`,
    `sleep 1; rm -rf '${stateDir.replace(/'/g, `'\\''`)}'`,
  ].join('\n');
  const env = { PATH: process.env.PATH || '/usr/bin:/bin' }; // not the run id: it must not match itself
  const child = spawn('/bin/sh', ['-c', script], { env, detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** Workbench log entries that are expected offline and say nothing about the tests. */
const WORKBENCH_NOISE = [
  /^Resolving connection token/,
  /^Resolved connection token/,
  /^Creating a socket \(/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^ChatSessionStore: /,
  /ENOTFOUND open-vsx\.org/, // extension gallery
  /\bvsda\b/, // 404s for the signing module code-server does not ship
  /^Git installation not found\.$/, // a machine without git: the built-in git extension says so
];

/** Writes [{relativePath, contents}] (as VS Code hands them to codeAutomationExit) under dir. */
function saveLogFiles(dir, files) {
  if (!Array.isArray(files)) return;
  for (const f of files) {
    if (!f || typeof f.relativePath !== 'string' || typeof f.contents !== 'string') continue;
    const target = path.resolve(dir, f.relativePath);
    if (!target.startsWith(path.resolve(dir) + path.sep)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.contents);
  }
}

function formatLogArgs(args) {
  if (!Array.isArray(args)) args = [args];
  return args
    .map((a) =>
      typeof a === 'string'
        ? a
        : (() => {
            try {
              return JSON.stringify(a);
            } catch {
              return String(a);
            }
          })(),
    )
    .join(' ');
}

function loadDriver(driver) {
  if (!driver) return {};
  const mod = typeof driver === 'string' ? require(path.resolve(driver)) : driver;
  const handlers = mod && mod.default && typeof mod.default === 'object' ? mod.default : mod;
  for (const [name, fn] of Object.entries(handlers)) {
    if (typeof fn !== 'function') throw new Error(`driver export "${name}" is not a function`);
  }
  return handlers;
}

/**
 * Starts the loopback RPC server that the extension-side tests call (see client.js).
 * POST / {"name": string, "args": any}  ->  {"ok": true, "result": any} | {"ok": false, "error": string}
 */
function startDriverServer(handlers, ctx, log) {
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      let reply;
      try {
        const { name, args } = JSON.parse(body || '{}');
        const fn = handlers[name];
        if (!fn) throw new Error(`no driver handler "${name}" (have: ${Object.keys(handlers).join(', ')})`);
        log(`driver: ${name}`);
        const result = await fn(ctx, args);
        reply = { ok: true, result: result === undefined ? null : result };
      } catch (err) {
        reply = { ok: false, error: String((err && err.stack) || err) };
      }
      const out = JSON.stringify(reply);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

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
 * @param {(line: string) => void} [opts.output] where the tests' log lines go (default stdout)
 * @returns {Promise<number>}
 */
async function runVsCodeTests(opts) {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const verbose = !!opts.verbose;
  const output = opts.output || ((line) => process.stdout.write(line + '\n'));
  const log = (msg) => process.stderr.write(`[vscode-test +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);

  const extensionDevelopmentPath = path.resolve(opts.extensionDevelopmentPath);
  const extensionTestsPath = path.resolve(opts.extensionTestsPath);
  const screenshotDir = path.resolve(opts.screenshotDir || path.join('test-results', 'vscode-test'));
  const chromiumPath = opts.chromiumPath || DEFAULT_CHROMIUM;
  for (const [what, p] of [
    ['extensionDevelopmentPath', extensionDevelopmentPath],
    ['extensionTestsPath', extensionTestsPath],
    ['chromium', chromiumPath],
    ['code-server', CODE_SERVER_ENTRY],
  ]) {
    if (!fs.existsSync(p)) {
      log(
        `${what} not found: ${p}${what === 'code-server' || what === 'chromium' ? ' (run scripts/install-vscode-test-deps.sh)' : ''}`,
      );
      return EXIT_HARNESS_ERROR;
    }
  }
  fs.mkdirSync(screenshotDir, { recursive: true });
  // Fresh artifacts each run: remove only what an earlier run of the harness wrote there.
  for (const f of fs.readdirSync(screenshotDir)) {
    if (/^\d\d-.*\.png$/.test(f) || f === 'code-server.log' || f === 'browser-console.log' || f === 'logs') {
      fs.rmSync(path.join(screenshotDir, f), { recursive: true, force: true });
    }
  }

  const runId = crypto.randomBytes(8).toString('hex');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-test-'));
  const workspaceFolder = path.resolve(opts.workspaceFolder || fs.mkdtempSync(path.join(tmp, 'workspace-')));
  const codeServerLog = fs.createWriteStream(path.join(screenshotDir, 'code-server.log'));
  const browserLog = fs.createWriteStream(path.join(screenshotDir, 'browser-console.log'));

  /** @type {import('node:child_process').ChildProcess | undefined} */
  let codeServer;
  let browser;
  let page;
  let driverServer;
  let watchdog;
  let exitCode;
  let settle;
  const finished = new Promise((resolve) => (settle = resolve));
  const finish = (code, why) => {
    if (exitCode !== undefined) return;
    exitCode = code;
    if (why) log(why);
    settle(code);
  };

  let shotCount = 0;
  const screenshot = async (name) => {
    if (!page) return null;
    const file = path.join(
      screenshotDir,
      `${String(++shotCount).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '_')}.png`,
    );
    await withTimeout(page.screenshot({ path: file }), 10_000, 'screenshot');
    log(`screenshot: ${path.relative(process.cwd(), file)}`);
    return file;
  };

  const hardTimer = setTimeout(() => finish(EXIT_TIMEOUT, `TIMEOUT: no result after ${timeoutMs} ms`), timeoutMs);
  const onSignal = (sig) => finish(130, `got ${sig}, cleaning up`);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);

  const main = async () => {
    // --- code-server with throwaway state --------------------------------------------------------
    const port = await freePort();
    for (const d of ['user', 'exts', 'xdg-config', 'xdg-data', 'xdg-cache', 'xdg-state'])
      fs.mkdirSync(path.join(tmp, d));
    fs.writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');
    // Stable user settings: no welcome page, no trust prompt, no telemetry, no update checks.
    fs.mkdirSync(path.join(tmp, 'user', 'User'), { recursive: true });
    fs.writeFileSync(
      path.join(tmp, 'user', 'User', 'settings.json'),
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'security.workspace.trust.enabled': false,
          'telemetry.telemetryLevel': 'off',
          'update.mode': 'none',
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'workbench.tips.enabled': false,
          'git.openRepositoryInParentFolders': 'never',
          ...(opts.settings || {}),
        },
        null,
        2,
      ),
    );

    const ctx = {
      get page() {
        return page;
      },
      webview: (o) => webviewFrame(page, o),
      screenshot,
      log,
    };
    const handlers = { ...BUILTIN_HANDLERS, ...loadDriver(opts.driver) };
    driverServer = await startDriverServer(handlers, ctx, log);
    const driverUrl = `http://127.0.0.1:${driverServer.address().port}/`;

    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
      // A harness started from a VS Code terminal must not hand that VS Code's hooks to this one.
      if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') continue;
      env[k] = v;
    }
    Object.assign(env, {
      XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
      XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
      XDG_STATE_HOME: path.join(tmp, 'xdg-state'),
      [RUN_ID_VAR]: runId,
      [DRIVER_URL_VAR]: driverUrl,
      ...(opts.env || {}),
    });

    const args = [
      CODE_SERVER_ENTRY,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir',
      path.join(tmp, 'user'),
      '--extensions-dir',
      path.join(tmp, 'exts'),
      '--config',
      path.join(tmp, 'config.yaml'),
    ];
    // Packaged extensions (.vsix) go into this run's extensions folder first, as a user would install them.
    for (const vsix of opts.installExtensions || []) {
      log(`installing ${vsix}`);
      const install = require('node:child_process').spawnSync(
        process.execPath,
        [
          CODE_SERVER_ENTRY,
          '--install-extension',
          path.resolve(vsix),
          '--extensions-dir',
          path.join(tmp, 'exts'),
          '--user-data-dir',
          path.join(tmp, 'user'),
        ],
        { env, encoding: 'utf8', timeout: 120_000 },
      );
      if (install.status !== 0)
        throw new Error(
          `installing ${vsix} failed (exit ${install.status}): ${(install.stderr || install.stdout || '').slice(-500)}`,
        );
    }
    log(`starting code-server on 127.0.0.1:${port} (state in ${tmp})`);
    // detached: its own process group, so the extension host and helpers die with it.
    codeServer = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    watchdog = startWatchdog(runId, codeServer.pid, tmp);
    const listening = new Promise((resolve, reject) => {
      let seen = '';
      const onData = (chunk) => {
        codeServerLog.write(chunk);
        if (verbose) process.stderr.write(chunk);
        if (seen !== null) {
          seen += chunk.toString();
          if (seen.includes('HTTP server listening on')) {
            seen = null;
            resolve();
          } else if (seen.length > 100_000) seen = seen.slice(-10_000);
        }
      };
      codeServer.stdout.on('data', onData);
      codeServer.stderr.on('data', onData);
      codeServer.on('exit', (code, sig) => {
        reject(new Error(`code-server exited early (code ${code}, signal ${sig})`));
        finish(
          EXIT_HARNESS_ERROR,
          exitCode === undefined
            ? `code-server exited (code ${code}, signal ${sig}); see ${path.join(screenshotDir, 'code-server.log')}`
            : undefined,
        );
      });
    });
    await withTimeout(listening, 60_000, 'code-server start');
    if (exitCode !== undefined) return;
    log('code-server is listening');

    // --- Chromium through playwright-core --------------------------------------------------------
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, [RUN_ID_VAR]: runId },
      timeout: 60_000,
    });
    if (exitCode !== undefined) return; // timed out meanwhile: cleanup closes the browser
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('console', (m) => {
      const line = `[${m.type()}] ${m.text()}\n`;
      browserLog.write(line);
      if (verbose) process.stderr.write(`[browser] ${line}`);
    });
    page.on('pageerror', (e) => browserLog.write(`[pageerror] ${e && e.stack ? e.stack : e}\n`));

    // Everything the workbench logs arrives here too, the extension host's console among it (the
    // tests' output). Known start-up chatter and offline noise goes to the log file only.
    await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
      const text = formatLogArgs(logArgs).replace(/\r?\n$/, '');
      browserLog.write(`[automation ${type}] ${text}\n`);
      if (!verbose && WORKBENCH_NOISE.some((re) => re.test(text))) return;
      for (const line of text.split(/\r?\n/)) output(line);
    });
    // VS Code calls this when run() settled, with its own client-side log files.
    await page.exposeFunction('codeAutomationExit', async (code, logFiles) => {
      log(`tests finished with exit code ${code}`);
      saveLogFiles(path.join(screenshotDir, 'logs', 'workbench'), logFiles);
      try {
        await screenshot('final');
      } catch (e) {
        log(`final screenshot failed: ${e.message}`);
      }
      finish(Number(code) || 0);
    });

    const authority = `127.0.0.1:${port}`;
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${extensionDevelopmentPath}`],
      ['extensionTestsPath', `vscode-remote://${authority}${extensionTestsPath}`],
      ['skipWelcome', 'true'],
    ];
    const url = `http://${authority}/?folder=${encodeURIComponent(workspaceFolder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    log(`opening workbench (extension ${extensionDevelopmentPath})`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  };

  const mainDone = main().catch((err) => finish(EXIT_HARNESS_ERROR, `harness error: ${(err && err.stack) || err}`));
  const code = await finished;
  // A timeout can fire while main() is still starting things: give it a moment to hand them over.
  await Promise.race([mainDone, sleep(5_000)]);

  // --- cleanup, always ------------------------------------------------------------------------------
  clearTimeout(hardTimer);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGHUP', onSignal);
  if (code !== 0 && page && shotCount === 0) {
    await screenshot(code === EXIT_TIMEOUT ? 'timeout' : 'failure').catch(() => {});
  }
  if (browser) await withTimeout(browser.close(), 10_000, 'browser close').catch((e) => log(e.message));
  if (driverServer) {
    driverServer.closeAllConnections?.();
    driverServer.close();
  }
  if (codeServer && codeServer.exitCode === null && codeServer.signalCode === null) {
    killGroup(codeServer.pid, 'SIGTERM');
    const gone = new Promise((r) => codeServer.once('exit', r));
    await withTimeout(gone, 5_000, 'code-server stop').catch(() => killGroup(codeServer.pid, 'SIGKILL'));
  }
  if (codeServer) killGroup(codeServer.pid, 'SIGKILL'); // stragglers left in its group
  // Anything that left the process group (setsid'd terminals, re-parented helpers, Chromium
  // children) still carries our run id in its environment.
  for (let i = 0; i < 10; i++) {
    const left = pidsWithRunId(runId);
    if (left.length === 0) break;
    if (i === 0) log(`killing ${left.length} leftover process(es): ${left.join(' ')}`);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(200);
  }
  // Keep the server side's logs (extension host, remote agent) before the state folder goes.
  try {
    const serverLogs = path.join(tmp, 'user', 'logs');
    if (fs.existsSync(serverLogs))
      fs.cpSync(serverLogs, path.join(screenshotDir, 'logs', 'server'), { recursive: true });
  } catch (e) {
    log(`could not keep server logs: ${e.message}`);
  }
  if (watchdog) killGroup(watchdog.pid, 'SIGKILL');
  await new Promise((r) => codeServerLog.end(r));
  await new Promise((r) => browserLog.end(r));
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  if (code !== 0) log(`screenshots and logs: ${screenshotDir}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s, exit code ${code}`);
  return code;
}

function parseCli(argv) {
  const opts = {};
  const names = {
    '--extension-development-path': 'extensionDevelopmentPath',
    '--extension-tests-path': 'extensionTestsPath',
    '--workspace': 'workspaceFolder',
    '--workspace-folder': 'workspaceFolder',
    '--driver': 'driver',
    '--screenshot-dir': 'screenshotDir',
    '--timeout-ms': 'timeoutMs',
    '--chromium': 'chromiumPath',
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === '--verbose') opts.verbose = true;
    else if (a === '--help' || a === '-h') opts.help = true;
    else if (names[a]) {
      if (value === undefined) value = argv[++i];
      if (value === undefined) throw new Error(`${a} needs a value`);
      opts[names[a]] = names[a] === 'timeoutMs' ? Number(value) : value;
    } else throw new Error(`unknown argument: ${a}`);
  }
  return opts;
}

const USAGE = `usage: node tools/vscode-test/run.js --extension-development-path DIR --extension-tests-path FILE
         [--workspace DIR] [--driver FILE] [--screenshot-dir DIR] [--timeout-ms N] [--verbose]
exit code: the tests' own, 124 on timeout, 2 on a harness error`;

if (require.main === module) {
  let opts;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    process.exit(EXIT_HARNESS_ERROR);
  }
  if (opts.help || !opts.extensionDevelopmentPath || !opts.extensionTestsPath) {
    console.error(USAGE);
    process.exit(opts.help ? 0 : EXIT_HARNESS_ERROR);
  }
  runVsCodeTests(opts).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(EXIT_HARNESS_ERROR);
    },
  );
}

module.exports = { runVsCodeTests, webviewFrame, DRIVER_URL_VAR, EXIT_TIMEOUT, EXIT_HARNESS_ERROR };
