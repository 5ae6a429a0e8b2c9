/**
 * Typed handles on the harness's extension-side helpers (plain JavaScript in tools/vscode-test/ext, bundled into the
 * suite by esbuild): the mini test runner and the page driver's client.
 */

/** What a test function receives. A skip names its condition; the run must have declared it, or the skip fails. */
export interface TestContext {
  skip(reason: string, condition?: string): never;
}

export interface Suite {
  test(name: string, fn: (t: TestContext) => Promise<void>, options?: { timeoutMs?: number }): void;
  run(): Promise<void>;
}

export type Until = <T>(what: string, probe: () => T | Promise<T>, timeoutMs?: number) => Promise<NonNullable<T>>;

export interface DriverClient {
  available(): boolean;
  call<R = unknown>(name: string, args?: unknown, options?: { timeoutMs?: number }): Promise<R>;
  /** The skip condition of a test that needs the page driver (declared by runs that have none). */
  NO_DRIVER: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS shared with the extension host's test loader, which has no TypeScript build
const miniTest = require('../../../tools/vscode-test/ext/mini-test.js') as { createSuite(title: string): Suite };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, as above
export const driver = require('../../../tools/vscode-test/ext/driver-client.js') as DriverClient;

export const createSuite = (title: string): Suite => miniTest.createSuite(title);

/**
 * The longest the driver's panelSettled takes: 10 s, then up to 35 s more when code-server's shared webview service
 * worker keeps the panel blank (recoverBlankWebview in driver.js), with room for a loaded machine. Tests that call it
 * give it this long, and themselves this long on top of their own work.
 */
export const PANEL_SETTLED_MS = 60_000;
