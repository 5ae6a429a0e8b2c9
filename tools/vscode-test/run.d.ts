// Types for run.js, for TypeScript callers (a project's own test launcher, a driver module).
// Self-contained on purpose: the root type check must pass before tools/vscode-test is installed,
// so nothing here imports playwright-core. `page` is playwright-core's Page and a webview is its
// FrameLocator; they are typed `unknown` here: a TypeScript driver casts them, e.g.
// `ctx.page as import('playwright-core').Page`.

/** What a driver handler receives. */
export interface DriverContext {
  /** playwright-core Page showing the workbench */
  readonly page: unknown;
  /** playwright-core FrameLocator of a webview's content (the last opened one, or the index-th) */
  webview(opts?: { index?: number }): unknown;
  /** saves a numbered PNG into screenshotDir; resolves with its path */
  screenshot(name: string): Promise<string | null>;
  /** writes a harness log line (stderr) */
  log(msg: string): void;
}

/**
 * A page handler: gets the context and the call's JSON arguments, returns (or resolves with) a JSON-serialisable
 * result. Declared as a method so a handler may type its own arguments (`args: { text: string }`).
 */
export type DriverHandler = { handle(ctx: DriverContext, args: unknown): unknown }['handle'];

/** A driver module exports handlers by name. */
export type DriverHandlers = Record<string, DriverHandler>;

export interface RunVsCodeTestsOptions {
  /** folder with the extension's package.json */
  extensionDevelopmentPath: string;
  /** the test entry: a module exporting run(): Promise<void> */
  extensionTestsPath: string;
  /** folder to open; default a fresh empty temp folder */
  workspaceFolder?: string;
  /** module path, or handlers object, for the page driver */
  driver?: string | DriverHandlers;
  /** screenshots and logs; default ./test-results/vscode-test */
  screenshotDir?: string;
  /** hard overall limit, default 180000; on expiry the result is 124 */
  timeoutMs?: number;
  /** forward code-server's and the browser's own output, and all workbench log lines */
  verbose?: boolean;
  /** default /usr/bin/chromium */
  chromiumPath?: string;
  /** extra environment for code-server and so the extension host */
  env?: Record<string, string>;
  /** extra VS Code user settings */
  settings?: Record<string, unknown>;
  /** .vsix files installed into this run's extensions folder before VS Code starts */
  installExtensions?: string[];
  /** receives each line of the tests' output; default: stdout */
  output?: (line: string) => void;
}

/** Resolves with the exit code: the tests' own, 124 on timeout, 2 on a harness error. */
export function runVsCodeTests(opts: RunVsCodeTestsOptions): Promise<number>;
/** playwright-core FrameLocator of a webview's content, given the Page. */
export function webviewFrame(page: unknown, opts?: { index?: number }): unknown;
export const DRIVER_URL_VAR: 'VSCODE_TEST_DRIVER_URL';
export const EXIT_TIMEOUT: 124;
export const EXIT_HARNESS_ERROR: 2;
