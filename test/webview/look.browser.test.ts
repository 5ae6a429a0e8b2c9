/**
 * The panel for looking, not only scoring, in real Chromium under its real CSP: each card's folder, "More like
 * this" and "Reveal in Explorer", the search box, strategy and batch size in the header, the thumbnail size, and
 * the header leaving the shortcut row in view when the panel opens. Screenshots at 900 x 700 (light and dark) go
 * to test-results/panel-look-*.png.
 * Run: npx tsx --test test/webview/look.browser.test.ts (builds its own copy of the webview bundle).
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import type { BatchSource, CandidateView, HeadView, PanelState } from '../../src/protocol/webview-protocol';
import { type Harness, startHarness } from './harness';
import { panelPage, rankedHatBatch } from './panel-page';
import type { PageDocument, PageElement, PageStorage, PageWindow } from './page-dom';

// Callbacks passed to page.evaluate run in the browser; the root tsconfig has no DOM lib (see page-dom.ts).
declare const window: PageWindow & { scrollY: number }, document: PageDocument, sessionStorage: PageStorage;
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

const page = () => hx.page;
const { post, show, posted, clearPosted, waitForPosted, focusedCard, columns, text, screenshot } = panelPage(page);
const batch = (batchId: string, source?: BatchSource, h: HeadView = head): PanelState => ({
  kind: 'batch',
  batchId,
  head: h,
  candidates,
  draft: {},
  ...(source ? { source } : {}),
});

const focusedTestId = () => page().evaluate(() => document.activeElement?.dataset.testid ?? '');

/** Opens a fresh panel page (no saved state) in a theme, at 900 x 700, and waits for its "ready". */
async function openPanel(theme: 'dark' | 'light' = 'dark'): Promise<void> {
  await page().setViewportSize({ width: 900, height: 700 });
  await page().evaluate(() => sessionStorage.clear());
  await page().goto(hx.pageUrl(theme));
  await waitForPosted((m) => m.method === 'ready', 'ready');
}

before(async () => {
  hx = await startHarness();
  candidates = rankedHatBatch(hx.resources, true);
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

test('a card shows its folder, the full path on hover, and reveals the image in the Explorer', async () => {
  await openPanel();
  await show(batch('cards'));
  await page().locator('[data-testid=card-7] img').waitFor();
  assert.equal((await text('[data-testid=folder-0]')).replace(/\u200e/g, ''), 'samples/clothing/images/hat');
  assert.equal(await page().locator('[data-testid=folder-5]').getAttribute('title'), candidates[5].fullPath);
  assert.equal(await page().locator('[data-testid=card-5] .name').getAttribute('title'), candidates[5].fullPath);
  await clearPosted();
  await page().locator('[data-testid=reveal-5]').click();
  const reveal = await waitForPosted((m) => m.method === 'revealImage', 'revealImage');
  assert.deepEqual(reveal, { kind: 'notify', method: 'revealImage', id: candidates[5].id });
  // Roving tab stops: only the focused card's buttons are in the tab order.
  assert.equal(await page().locator('[data-testid=reveal-5]').getAttribute('tabindex'), '0');
  assert.equal(await page().locator('[data-testid=reveal-0]').getAttribute('tabindex'), '-1');
  await page().locator('[data-testid=reveal-5]').focus();
  await clearPosted();
  await page().keyboard.press('Enter'); // a focused button keeps Enter: it reveals, it does not submit
  await waitForPosted((m) => m.method === 'revealImage', 'revealImage by Enter');
  assert.ok(!(await posted()).some((m) => m.kind === 'request'), 'Enter on the button did not submit the batch');
});

test('"More like this" (button or M) asks for a search of that image, and waits while scores are unsubmitted', async () => {
  await openPanel();
  await show(batch('more'));
  await page().locator('[data-testid=card-7] img').waitFor();
  await clearPosted();
  await page().locator('[data-testid=more-like-2]').click();
  const byClick = await waitForPosted((m) => m.kind === 'request', 'a search request');
  assert.deepEqual(
    { method: byClick.method, params: byClick.params },
    { method: 'search', params: { query: { kind: 'similar', id: candidates[2].id } } },
  );
  await post({ kind: 'response', id: byClick.id!, ok: true, result: { count: 8 } });
  // By key, on the focused card.
  await clearPosted();
  await page().locator('[data-testid=card-4]').focus();
  await page().keyboard.press('m');
  const byKey = await waitForPosted((m) => m.kind === 'request', 'a search request by M');
  assert.deepEqual(byKey.params, { query: { kind: 'similar', id: candidates[4].id } });
  // The extension's refusal shows as a notice; the batch stays.
  await post({
    kind: 'response',
    id: byKey.id!,
    ok: false,
    error: { message: 'Every image is seen.', userError: true },
  });
  await page().locator('[data-testid=notice]').filter({ hasText: 'Every image is seen.' }).waitFor();
  await page().keyboard.press('Escape');
  // With a score on screen, nothing is sent: a search would replace the batch and lose it.
  await page().keyboard.press('5');
  await clearPosted();
  await page().keyboard.press('m');
  await page().locator('[data-testid=notice]').filter({ hasText: '1 unsubmitted score' }).waitFor();
  assert.ok(!(await posted()).some((m) => m.kind === 'request'), 'no search while a score is unsubmitted');
});

test('the search box: / focuses it, typed keys stay in it, Enter searches, Escape goes back to the images', async () => {
  await openPanel();
  await show(batch('search'));
  await page().locator('[data-testid=card-7] img').waitFor();
  await page().locator('[data-testid=card-3]').focus();
  await page().keyboard.press('/');
  assert.equal(await focusedTestId(), 'search-input');
  await clearPosted();
  await page().keyboard.type('a red hat 1 5 a u');
  assert.equal(await page().locator('[data-testid=search-input]').inputValue(), 'a red hat 1 5 a u');
  assert.ok(
    (await page().$$eval('[data-testid^="card-"]', (els) => els.map((e) => (e as HTMLElement).dataset.score))).every(
      (s) => s === '',
    ),
    'keys typed into the search box score nothing',
  );
  await page().keyboard.press('Enter');
  const request = await waitForPosted((m) => m.kind === 'request', 'a search request');
  assert.deepEqual(
    { method: request.method, params: request.params },
    { method: 'search', params: { query: { kind: 'text', text: 'a red hat 1 5 a u' } } },
  );
  await page().keyboard.press('Escape');
  assert.equal(await focusedCard(), 3, 'Escape returns to the focused image');
  // The extension shows the searched batch; the header says what it came from.
  await show(batch('searched', { kind: 'text', text: 'a red hat' }));
  assert.equal(await text('[data-testid=batch-source]'), 'Search: \u201ca red hat\u201d');
  await show(batch('similar', { kind: 'similar', id: candidates[1].id, name: candidates[1].name }));
  assert.equal(await text('[data-testid=batch-source]'), `More like ${candidates[1].name}`);
  await show(batch('own'));
  assert.equal(await text('[data-testid=batch-source]'), 'mixed strategy');
});

test('strategy and batch size switch from the keyboard and say when they are the panel’s choice', async () => {
  await openPanel();
  await show(batch('options'));
  await page().locator('[data-testid=card-0]').waitFor();
  assert.equal(await page().locator('[data-testid=strategy-select]').inputValue(), 'mixed');
  assert.equal(await page().locator('[data-testid=batch-size-select]').inputValue(), '8');
  assert.equal(await page().locator('[data-testid=override-note]').isHidden(), true);
  await clearPosted();
  // Tab from the search box reaches the strategy select; arrow keys change it (and move no card).
  await page().locator('[data-testid=search-input]').focus();
  await page().keyboard.press('Tab');
  await page().keyboard.press('Tab');
  assert.equal(await focusedTestId(), 'strategy-select');
  await page().keyboard.press('ArrowUp'); // from mixed up to boundary (down would go to the -diverse variants)
  const strategy = await waitForPosted((m) => m.method === 'batchOptions', 'batchOptions');
  assert.deepEqual(strategy, { kind: 'notify', method: 'batchOptions', strategy: 'boundary' });
  await clearPosted();
  await page().keyboard.press('Tab');
  assert.equal(await focusedTestId(), 'batch-size-select');
  await page().keyboard.press('ArrowDown');
  const size = await waitForPosted((m) => m.method === 'batchOptions', 'batchOptions batch size');
  assert.deepEqual(size, { kind: 'notify', method: 'batchOptions', batchSize: 12 });
  // The extension answers with the head's new options: the selects and the note follow.
  await show(batch('options', undefined, { ...head, strategy: 'boundary', batchSize: 12, overridden: true }));
  assert.equal(await page().locator('[data-testid=strategy-select]').inputValue(), 'boundary');
  assert.equal(await page().locator('[data-testid=override-note]').isVisible(), true);
  // A size from the settings that the list lacks is shown as it is.
  await show(batch('options', undefined, { ...head, batchSize: 10 }));
  assert.equal(await page().locator('[data-testid=batch-size-select]').inputValue(), '10');
});

test('the thumbnail size changes the columns, works from the keyboard and survives a reload', async () => {
  await openPanel();
  await show(batch('thumbs'));
  await page().locator('[data-testid=card-7] img').waitFor();
  const medium = await columns();
  await page().locator('[data-testid=thumb-small]').click();
  assert.equal(await page().locator('[data-testid=thumb-small]').getAttribute('aria-pressed'), 'true');
  const small = await columns();
  await page().locator('[data-testid=thumb-large]').focus();
  await page().keyboard.press('Space');
  const large = await columns();
  // What the README states for a 900 px wide panel.
  assert.deepEqual({ small, medium, large }, { small: 5, medium: 4, large: 2 });
  assert.equal(await page().locator('[data-testid=thumb-large]').getAttribute('aria-pressed'), 'true');
  // Up and down move by the new number of columns.
  await page().locator('[data-testid=card-0]').focus();
  await page().keyboard.press('ArrowDown');
  assert.equal(await focusedCard(), large);
  await page().reload();
  await page().locator('[data-testid=card-7]').waitFor();
  assert.equal(await columns(), large, 'the size came back with the panel state');
  assert.equal(await page().locator('[data-testid=thumb-large]').getAttribute('aria-pressed'), 'true');
});

test('screenshots at 900 x 700 in Dark Modern and Light Modern, a searched batch partly scored', async () => {
  for (const theme of ['dark', 'light'] as const) {
    await openPanel(theme);
    await show(batch(`shot-${theme}`, { kind: 'text', text: 'a hat with a brim' }));
    await page().locator('[data-testid=card-7] img').waitFor();
    for (const k of ['5', '5', '4', '1']) await page().keyboard.press(k);
    await screenshot(`panel-look-${theme}.png`);
    await page().locator('[data-testid=thumb-small]').click();
    await screenshot(`panel-look-small-${theme}.png`);
  }
  assert.deepEqual(hx.problems, [], 'no console errors, CSP violations or failed requests');
});
