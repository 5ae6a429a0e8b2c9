// The harness side of the driver channel. The extension-side tests cannot reach playwright, so the
// harness serves a tiny JSON RPC on a loopback HTTP port and hands its URL to the extension host in
// the environment (VSCODE_TEST_DRIVER_URL). The tests call `driver.call(name, args)`
// (tools/vscode-test/ext/driver-client.js); the handler of that name, built in or exported by the
// run's driver module, runs with the playwright page and answers with its result.
'use strict';

const http = require('node:http');
const path = require('node:path');

const DRIVER_URL_VAR = 'VSCODE_TEST_DRIVER_URL';

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

/** The handlers of a driver module (path, or the object itself), which must all be functions. */
function loadDriver(driver) {
  if (!driver) return {};
  const mod = typeof driver === 'string' ? require(path.resolve(driver)) : driver;
  const handlers = mod && mod.default && typeof mod.default === 'object' ? mod.default : mod;
  for (const [name, fn] of Object.entries(handlers)) {
    if (typeof fn !== 'function') throw new Error(`driver export "${name}" is not a function`);
  }
  return handlers;
}

/** What a handler gets: the current page, its webviews, screenshots and the harness log. */
function driverContext(getPage, screenshot, log) {
  return {
    get page() {
      return getPage();
    },
    webview: (o) => webviewFrame(getPage(), o),
    screenshot,
    log,
  };
}

/** Runs the handler a request names; the reply the client expects. */
async function answer(body, handlers, ctx, log) {
  try {
    const { name, args } = JSON.parse(body || '{}');
    const fn = handlers[name];
    if (!fn) throw new Error(`no driver handler "${name}" (have: ${Object.keys(handlers).join(', ')})`);
    log(`driver: ${name}`);
    const result = await fn(ctx, args);
    return { ok: true, result: result === undefined ? null : result };
  } catch (err) {
    return { ok: false, error: String((err && err.stack) || err) };
  }
}

/**
 * Starts the loopback RPC server that the extension-side tests call (see ext/driver-client.js).
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
      const out = JSON.stringify(await answer(body, handlers, ctx, log));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function stopDriverServer(server) {
  server.closeAllConnections?.();
  server.close();
}

module.exports = {
  DRIVER_URL_VAR,
  BUILTIN_HANDLERS,
  webviewFrame,
  loadDriver,
  driverContext,
  startDriverServer,
  stopDriverServer,
};
