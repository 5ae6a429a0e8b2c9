/**
 * A stand-in for VS Code's webview host, for the scoring panel's browser test: the panel's real HTML
 * (renderPanelHtml, with its CSP) served from one origin, its script, styles and images from another (the
 * "cspSource"), in real Chromium, with a stub acquireVsCodeApi that records what the panel posts and keeps
 * setState in sessionStorage so a reload behaves like VS Code re-showing a hidden panel.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Browser, chromium, type Page } from '../../tools/vscode-test/node_modules/playwright-core';
import { makeNonce, renderPanelHtml } from '../../src/extension/panel/panel-html';
import { DARK_HIGH_CONTRAST, DARK_MODERN, LIGHT_MODERN } from './themes';

const ROOT = path.resolve(__dirname, '../..');

export const IMAGES_DIR = path.join(ROOT, 'samples/clothing/images');
export const RESULTS_DIR = path.join(ROOT, 'test-results');

/** Builds the webview bundle with esbuild.js's browser options, into a temporary folder. */
async function buildBundle(outDir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = path.join(outDir, 'webview.js');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/webview/main.ts')],
    outfile,
    bundle: true,
    sourcemap: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'warning',
  });
  return outfile;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.map': 'application/json',
  '.css': 'text/css',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function serveFile(res: http.ServerResponse, file: string): void {
  fs.readFile(file, (err, data) => {
    if (err) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      })
      .end(data);
  });
}

/** Resolves a URL path under a folder, refusing anything that climbs out of it. */
function under(dir: string, rel: string): string | null {
  const file = path.resolve(dir, decodeURIComponent(rel));
  return file.startsWith(dir + path.sep) ? file : null;
}

function listen(handler: http.RequestListener): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

export interface Harness {
  browser: Browser;
  page: Page;
  /** The origin of the panel's resources (what VS Code calls webview.cspSource). */
  resources: string;
  pageUrl(theme?: 'dark' | 'light' | 'hc'): string;
  /** Console errors and warnings, uncaught exceptions and CSP violations seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-panel-'));
  const bundle = await buildBundle(tmp);
  const res = await listen((req, reply) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/dist/webview.js' || url.pathname === '/dist/webview.js.map')
      return serveFile(reply, bundle + (url.pathname.endsWith('.map') ? '.map' : ''));
    const media =
      url.pathname.startsWith('/media/') && under(path.join(ROOT, 'media'), url.pathname.slice('/media/'.length));
    if (media) return serveFile(reply, media);
    const image = url.pathname.startsWith('/img/') && under(IMAGES_DIR, url.pathname.slice('/img/'.length));
    if (image) return serveFile(reply, image);
    reply.writeHead(404).end();
  });
  const page = await listen((req, reply) => {
    if (!req.url?.startsWith('/panel.html')) return void reply.writeHead(404).end();
    const html = renderPanelHtml({
      cspSource: res.origin,
      nonce: makeNonce(),
      scriptUri: `${res.origin}/dist/webview.js`,
      styleUri: `${res.origin}/media/panel.css`,
      title: 'Vector Tune',
    });
    reply.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1000, height: 880 }, deviceScaleFactor: 1 });
  const themes = { dark: DARK_MODERN, light: LIGHT_MODERN, hc: DARK_HIGH_CONTRAST };
  await context.addInitScript({
    content: `const THEMES = ${JSON.stringify(themes)};\n${fs.readFileSync(path.join(__dirname, 'init-script.js'), 'utf8')}`,
  });
  const p = await context.newPage();
  const problems: string[] = [];
  p.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  p.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

  return {
    browser,
    page: p,
    resources: res.origin,
    pageUrl: (theme = 'dark') => `${page.origin}/panel.html?theme=${theme}`,
    problems,
    async close() {
      await browser.close();
      res.server.close();
      page.server.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
