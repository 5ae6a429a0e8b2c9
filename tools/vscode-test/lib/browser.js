// Headless Chromium (Debian's) through playwright-core, the workbench page, and the two functions VS
// Code's browser test hook calls on it: codeAutomationLog (everything the workbench logs, the tests'
// output among it) and codeAutomationExit (the tests settled).
'use strict';

const { RUN_ID_VAR } = require('./processes');

const DEFAULT_CHROMIUM = '/usr/bin/chromium';

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

function formatLogArgs(args) {
  if (!Array.isArray(args)) args = [args];
  return args.map((a) => (typeof a === 'string' ? a : toJson(a))).join(' ');
}

function toJson(value) {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Chromium headless, tagged with the run id so that cleanup finds every process it starts. */
function launchChromium(chromiumPath, runId) {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, [RUN_ID_VAR]: runId },
    timeout: 60_000,
  });
}

/** A 1280x800 page whose console messages and page errors go to browserLog (and stderr when verbose). */
async function openPage(browser, { browserLog, verbose }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('console', (m) => {
    const line = `[${m.type()}] ${m.text()}\n`;
    browserLog.write(line);
    if (verbose) process.stderr.write(`[browser] ${line}`);
  });
  page.on('pageerror', (e) => browserLog.write(`[pageerror] ${e && e.stack ? e.stack : e}\n`));
  return page;
}

/**
 * Exposes VS Code's automation hooks on the page. Everything the workbench logs arrives at
 * codeAutomationLog, the extension host's console among it (the tests' output): it goes to browserLog,
 * and line by line to output, unless it is known start-up chatter or offline noise (shown when verbose).
 * VS Code calls codeAutomationExit(code, logFiles) when run() settled, with its own client-side log files.
 */
async function exposeAutomationHooks(page, { browserLog, verbose, output, onExit }) {
  await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
    const text = formatLogArgs(logArgs).replace(/\r?\n$/, '');
    browserLog.write(`[automation ${type}] ${text}\n`);
    if (!verbose && WORKBENCH_NOISE.some((re) => re.test(text))) return;
    for (const line of text.split(/\r?\n/)) output(line);
  });
  await page.exposeFunction('codeAutomationExit', onExit);
}

module.exports = { DEFAULT_CHROMIUM, CHROMIUM_ARGS, launchChromium, openPage, exposeAutomationHooks };
