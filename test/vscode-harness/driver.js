// Page driver for the fixture's tests: runs in the harness process beside playwright. Each export
// is a handler the extension-side tests can call through tools/vscode-test/ext/driver-client.js;
// it gets ctx = { page, webview(), screenshot(name), log(msg) } and the call's args.
'use strict';

module.exports = {
  async clickFixtureButton(ctx) {
    const frame = ctx.webview();
    const button = frame.locator('button#hello');
    await button.waitFor({ state: 'visible', timeout: 15_000 });
    await button.click();
    const status = frame.locator('#status');
    await status.filter({ hasText: 'clicked' }).waitFor({ timeout: 5_000 });
    return { status: (await status.textContent()).trim() };
  },
};
