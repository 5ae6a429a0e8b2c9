// Extension-side half of the driver channel: runs inside the VS Code extension host, where
// playwright is out of reach. The harness (tools/vscode-test/run.js) puts the URL of its loopback
// RPC server in VSCODE_TEST_DRIVER_URL; `call(name, args)` asks it to run the page handler of that
// name (built in: screenshot, click, text; or exported by the run's --driver module) and resolves
// with the handler's result. Under @vscode/test-electron there is no page: available() is false, and a
// test that needs the page skips with the condition NO_DRIVER, which that runner declares as expected
// (ext/mini-test.js: any undeclared skip fails the run).
'use strict';

const http = require('node:http');

const URL_VAR = 'VSCODE_TEST_DRIVER_URL';
/** The skip condition of tests that need the page driver: `t.skip('needs the page driver', NO_DRIVER)`. */
const NO_DRIVER = 'no-driver';

function available() {
  return !!process.env[URL_VAR];
}

/**
 * @param {string} name handler name
 * @param {unknown} [args] JSON-serialisable arguments
 * @param {{ timeoutMs?: number }} [opts]
 * @returns {Promise<any>} the handler's result; rejects with the handler's error
 */
function call(name, args, opts = {}) {
  const base = process.env[URL_VAR];
  if (!base)
    return Promise.reject(
      new Error(`${URL_VAR} is not set: no page driver in this run (only the code-server harness has one)`),
    );
  const body = JSON.stringify({ name, args: args === undefined ? null : args });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = http.request(
      base,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          try {
            const reply = JSON.parse(text);
            if (reply.ok) resolve(reply.result);
            else reject(new Error(`driver "${name}" failed: ${reply.error}`));
          } catch {
            reject(new Error(`driver "${name}": bad reply (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`driver "${name}" timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

module.exports = { available, call, URL_VAR, NO_DRIVER };
