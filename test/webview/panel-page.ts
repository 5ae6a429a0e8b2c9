/**
 * What the panel's browser tests share: posting messages as the extension would, reading what the panel posted
 * back, the common probes and screenshots, and a batch of real photos ranked as a "hat" head would rank them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from '../../tools/vscode-test/node_modules/playwright-core';
import type { CandidateView, PanelState, ToPanel } from '../../src/protocol/webview-protocol';
import { IMAGES_DIR, RESULTS_DIR } from './harness';
import type { PageDocument, PageElement, PageStyle, PageWindow } from './page-dom';

// Callbacks passed to page.evaluate run in the browser; the root tsconfig has no DOM lib (see page-dom.ts).
declare const window: PageWindow, document: PageDocument, getComputedStyle: (element: PageElement) => PageStyle;

/** A message the panel posted (through the stub acquireVsCodeApi of init-script.js). */
export type Posted = {
  kind: string;
  method?: string;
  id?: number;
  params?: Record<string, unknown>;
  [k: string]: unknown;
};

/**
 * Posts a message as the extension would and returns once the panel has handled it: a sentinel posted right
 * after it is delivered after the panel's (synchronous) handler has run. A source string, not a function: tsx
 * would wrap a named inner function in a helper the page does not have.
 */
const POST_AND_WAIT = `(m) => new Promise((resolve) => {
  const token = Math.random();
  window.addEventListener('message', function onMessage(e) {
    if (!e.data || e.data.sentinel !== token) return;
    window.removeEventListener('message', onMessage);
    resolve();
  });
  window.postMessage(m, '*');
  window.postMessage({ sentinel: token }, '*');
})`;

/** The driver of one panel page; `page` is read on each call, as the harness starts in a `before` hook. */
export function panelPage<P extends Posted = Posted>(page: () => Page) {
  const posted = () => page().evaluate(() => (window as unknown as { __posted: P[] }).__posted);
  const post = (message: ToPanel) => page().evaluate(`(${POST_AND_WAIT})(${JSON.stringify(message)})`);
  return {
    post,
    show: (state: PanelState) => post({ kind: 'state', state }),
    posted,
    clearPosted: () => page().evaluate(() => ((window as unknown as { __posted: P[] }).__posted.length = 0)),
    waitForPosted: async (predicate: (m: P) => boolean, what: string): Promise<P> => {
      for (let i = 0; i < 100; i++) {
        const found = (await posted()).find(predicate);
        if (found) return found;
        await page().waitForTimeout(50);
      }
      throw new Error(`the panel never posted ${what}`);
    },
    focusedCard: () => page().evaluate(() => Number(document.activeElement?.closest('.card')?.dataset.index ?? -1)),
    columns: () => page().$eval('[data-testid=grid]', (g) => getComputedStyle(g).gridTemplateColumns.split(' ').length),
    text: (selector: string) => page().locator(selector).first().innerText(),
    screenshot: async (name: string): Promise<void> => {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      // Let images decode and transitions settle, so the picture is what a user sees.
      await page().waitForFunction(() => [...document.images].every((i) => i.complete));
      await page().waitForTimeout(250);
      await page().screenshot({ path: path.join(RESULTS_DIR, name) });
    },
  };
}

/**
 * Five hats (what a "hat" head would find first) and three near misses, ranked by falling logit, served from
 * `resources`; with `folders`, each card also names its folder and full path (the look tests' cards).
 */
export function rankedHatBatch(resources: string, folders = false): CandidateView[] {
  const pick = (dir: string, n: number) =>
    fs
      .readdirSync(path.join(IMAGES_DIR, dir))
      .sort()
      .slice(0, n)
      .map((f) => `${dir}/${f}`);
  const files = [...pick('hat', 5), ...pick('shoes', 1), ...pick('t-shirt', 1), ...pick('dress', 1)];
  return files.map((rel, i) => {
    const logit = 2.4 - i * 0.55;
    return {
      id: `samples/clothing/images/${rel}`,
      name: path.basename(rel),
      ...(folders
        ? {
            folder: `samples/clothing/images/${path.dirname(rel)}`,
            fullPath: `/home/me/project/samples/clothing/images/${rel}`,
          }
        : {}),
      src: `${resources}/img/${rel}`,
      logit,
      probability: 1 / (1 + Math.exp(-logit)),
    };
  });
}
