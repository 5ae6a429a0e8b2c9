/**
 * The panel for looking, not only scoring, in real Chromium under its real CSP: each card's folder, "More like
 * this" and "Reveal in Explorer", the search box, strategy and batch size in the header, the thumbnail size, and
 * the header leaving the shortcut row in view when the panel opens. Screenshots at 900 x 700 (light and dark) go
 * to test-results/panel-look-*.png.
 * Run: npx tsx --test test/webview/look.browser.test.ts (builds its own copy of the webview bundle).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { BatchSource, CandidateView, HeadView, PanelState, ToPanel } from '../../src/protocol/webview-protocol';
import { type Harness, IMAGES_DIR, RESULTS_DIR, startHarness } from './harness';
import type { PageDocument, PageElement, PageStorage, PageStyle, PageWindow } from './page-dom';

// Callbacks passed to page.evaluate run in the browser; the root tsconfig has no DOM lib (see page-dom.ts).
declare const window: PageWindow & { scrollY: number },
  document: PageDocument,
  sessionStorage: PageStorage,
  getComputedStyle: (element: PageElement) => PageStyle;
type HTMLElement = PageElement & { getBoundingClientRect(): { top: number; bottom: number } };

let hx: Harness;
let candidates: CandidateView[];
const head: HeadView = {
  name: 'hat',
  labelCount: 14,
  storeCount: 48,
  seenCount: 22,
  strategy: 'mixed',
  batchSize: 8,
  lastRound: { round: 2, loss: 0.3817, moved: 0.0642 },
};

type Posted = { kind: string; method?: string; id?: number; params?: { query?: unknown }; [k: string]: unknown };

const page = () => hx.page;
/** Posts as the extension would and returns once the panel handled it (see panel.browser.test.ts). */
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
const post = (message: ToPanel) => page().evaluate(`(${POST_AND_WAIT})(${JSON.stringify(message)})`);
const show = (state: PanelState) => post({ kind: 'state', state });
const posted = () => page().evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);
const clearPosted = () => page().evaluate(() => ((window as unknown as { __posted: Posted[] }).__posted.length = 0));
const batch = (batchId: string, source?: BatchSource, h: HeadView = head): PanelState => ({
  kind: 'batch',
  batchId,
  head: h,
  candidates,
  draft: {},
  ...(source ? { source } : {}),
});

async function waitForPosted(predicate: (m: Posted) => boolean, what: string): Promise<Posted> {
  for (let i = 0; i < 100; i++) {
    const found = (await posted()).find(predicate);
    if (found) return found;
    await page().waitForTimeout(50);
  }
  throw new Error(`the panel never posted ${what}`);
}

const focusedCard = () => page().evaluate(() => Number(document.activeElement?.closest('.card')?.dataset.index ?? -1));
const focusedTestId = () => page().evaluate(() => document.activeElement?.dataset.testid ?? '');
const columns = () =>
  page().$eval('[data-testid=grid]', (g) => getComputedStyle(g).gridTemplateColumns.split(' ').length);
const text = (selector: string) => page().locator(selector).first().innerText();

async function screenshot(name: string): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page().waitForFunction(() => [...document.images].every((i) => i.complete));
  await page().waitForTimeout(250);
  await page().screenshot({ path: path.join(RESULTS_DIR, name) });
}

/** Opens a fresh panel page (no saved state) in a theme, at 900 x 700, and waits for its "ready". */
async function openPanel(theme: 'dark' | 'light' = 'dark'): Promise<void> {
  await page().setViewportSize({ width: 900, height: 700 });
  await page().evaluate(() => sessionStorage.clear());
  await page().goto(hx.pageUrl(theme));
  await waitForPosted((m) => m.method === 'ready', 'ready');
}

before(async () => {
  hx = await startHarness();
  const pick = (dir: string, n: number) =>
    fs
      .readdirSync(path.join(IMAGES_DIR, dir))
      .sort()
      .slice(0, n)
      .map((f) => `${dir}/${f}`);
  const files = [...pick('hat', 5), ...pick('shoes', 1), ...pick('t-shirt', 1), ...pick('dress', 1)];
  candidates = files.map((rel, i) => {
    const logit = 2.4 - i * 0.55;
    return {
      id: `samples/clothing/images/${rel}`,
      name: path.basename(rel),
      folder: `samples/clothing/images/${path.dirname(rel)}`,
      fullPath: `/home/me/project/samples/clothing/images/${rel}`,
      src: `${hx.resources}/img/${rel}`,
      logit,
      probability: 1 / (1 + Math.exp(-logit)),
    };
  });
  await page().goto(hx.pageUrl('dark'));
  await waitForPosted((m) => m.method === 'ready', 'ready');
});

after(async () => {
  await hx?.close();
});

test('on open at 900 x 700 the sticky header leaves the search bar and the shortcut row in view', async () => {
  await openPanel();
  await show(batch('open-1'));
  await page().locator('[data-testid=card-7] img').waitFor();
  await page().waitForFunction(() => [...document.images].every((i) => i.complete));
  await page().waitForTimeout(200);
  const layout = await page().evaluate(() => ({
    scrollY: window.scrollY,
    headerBottom: (document.querySelector('[data-testid=header]') as HTMLElement).getBoundingClientRect().bottom,
    lookTop: (document.querySelector('[data-testid=look-bar]') as HTMLElement).getBoundingClientRect().top,
    hintTop: (document.querySelector('[data-testid=hint]') as HTMLElement).getBoundingClientRect().top,
  }));
  assert.equal(layout.scrollY, 0, 'the page did not scroll on open');
  assert.ok(layout.lookTop >= layout.headerBottom, JSON.stringify(layout));
  assert.ok(layout.hintTop >= layout.headerBottom, JSON.stringify(layout));
  assert.equal(await focusedCard(), 0, 'the first card has focus, so keys work at once');
  await screenshot('panel-look-open-dark.png');
});

test('a panel that opens small and then grows still shows the shortcut row under the header', async () => {
  // VS Code lays a new webview out in steps: the first batch can arrive while the frame is still short.
  await openPanel();
  await page().setViewportSize({ width: 900, height: 260 });
  await show(batch('open-small'));
  await page().locator('[data-testid=card-0] img').waitFor();
  await page().waitForTimeout(100);
  await page().setViewportSize({ width: 900, height: 700 });
  await page().waitForTimeout(200);
  const layout = await page().evaluate(() => ({
    scrollY: window.scrollY,
    headerBottom: (document.querySelector('[data-testid=header]') as HTMLElement).getBoundingClientRect().bottom,
    hintTop: (document.querySelector('[data-testid=hint]') as HTMLElement).getBoundingClientRect().top,
  }));
  assert.ok(layout.hintTop >= layout.headerBottom, `the shortcut row is under the header: ${JSON.stringify(layout)}`);
  assert.equal(await focusedCard(), 0);
});
