// Page driver for the extension's VS Code suite: runs beside playwright in the harness process
// (tools/vscode-test/run.js). The extension-side tests call these handlers by name through
// tools/vscode-test/ext/driver-client.js; selectors are the scoring panel's data-testid contract.
'use strict';

const card = (i) => `[data-testid=card-${i}]`;

/**
 * The scoring panel's document, once its batch screen is up (and not dimmed by a pending load). Other
 * webviews (a Markdown preview) may be open too, so the panel is found by its content, not its position.
 */
async function batchFrame(ctx, timeoutMs = 20_000) {
  return panelFrame(ctx, '[data-testid=state-batch]:not(.stale)', 'a batch', timeoutMs);
}

/** The scoring panel's document once it shows `ready` (a selector); `what` names it in the error. */
async function panelFrame(ctx, ready, what, timeoutMs = 20_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await ctx.page.waitForTimeout(100)) {
    const count = await ctx.page.locator('iframe.webview').count();
    for (let index = count - 1; index >= 0; index--) {
      const frame = ctx.webview({ index });
      if (
        await frame
          .locator(ready)
          .isVisible()
          .catch(() => false)
      )
        return frame;
    }
  }
  throw new Error(`the scoring panel did not show ${what} within ${timeoutMs / 1000} s${await unloadedWebviews(ctx)}`);
}

/**
 * Names the webviews whose content never loaded. VS Code 1.100's web workbench can leave a webview blank for good:
 * its host frame waits for a service worker `controllerchange` that does not come ("Waiting for controllerchange" in
 * browser-console.log); all webviews of code-server share one origin, so they replace each other's service worker.
 */
async function unloadedWebviews(ctx) {
  const blank = await blankWebviews(ctx);
  if (blank.length === 0) return '';
  const workers = await serviceWorkerState(ctx, blank[0]);
  return `; webview(s) ${blank.join(', ')} never loaded their content (see "Waiting for controllerchange" in browser-console.log; ${workers})`;
}

/** Indexes of the webview host frames that have no content frame yet (their service worker is not ready). */
async function blankWebviews(ctx) {
  const hosts = ctx.page.locator('iframe.webview');
  const blank = [];
  for (let index = 0; index < (await hosts.count().catch(() => 0)); index++) {
    const content = hosts.nth(index).contentFrame().locator('iframe#active-frame');
    if ((await content.count().catch(() => 0)) === 0) blank.push(index);
  }
  return blank;
}

/**
 * The webview service worker registration as host frame `index` sees it: which webview's worker is active, which
 * one waits or installs, and the id this host expects. (Each webview registers the worker with its own id; a
 * worker waiting behind the active one means the active one still has requests in flight.)
 */
async function serviceWorkerState(ctx, index) {
  try {
    const handle = await ctx.page.locator('iframe.webview').nth(index).elementHandle({ timeout: 1_000 });
    const frame = await handle.contentFrame();
    return await frame.evaluate(async () => {
      const idOf = (w) => (w ? new URL(w.scriptURL).searchParams.get('id') : 'none');
      const r = await navigator.serviceWorker.getRegistration();
      if (!r) return 'service worker: no registration';
      return (
        `service worker: this webview ${new URL(location.href).searchParams.get('id')}, ` +
        `controller ${idOf(navigator.serviceWorker.controller)}, active ${idOf(r.active)}, ` +
        `waiting ${idOf(r.waiting)}, installing ${idOf(r.installing)}`
      );
    });
  } catch (err) {
    return `service worker state unknown: ${err.message}`;
  }
}

/** How long VS Code's webview service worker waits for a resource before answering 408 (resolveTimeout in pre/service-worker.js). */
const WORKER_REQUEST_TIMEOUT_MS = 30_000;

/**
 * What a person does when the panel stays blank (after `err`, the first wait, failed). In code-server every webview
 * registers the one shared service worker again with its own id and shows nothing until that worker controls it. When
 * the new worker waits (or installs) behind the active one, the active one still answers requests of a webview closed
 * while it loaded (the panel hidden by an editor, a preview closed): Chromium activates the new worker only once those
 * end, at the latest after WORKER_REQUEST_TIMEOUT_MS. Nothing hurries that up (Developer: Reload Webviews registers
 * yet another worker behind the same one; tried from the palette, the webview loading meanwhile took the focus and
 * closed it), so one waits. Any other blank or wrong panel fails with `err` at once, naming the worker state.
 */
async function recoverBlankWebview(ctx, err) {
  const blank = await blankWebviews(ctx);
  const workers = blank.length > 0 ? await serviceWorkerState(ctx, blank[0]) : '';
  if (!/waiting (?!none)|installing (?!none)/.test(workers)) throw err;
  ctx.log(`panelSettled: webview ${blank[0]} blank, its service worker waits to activate (${workers}); waiting`);
}

/** Gives the webview keyboard focus by clicking a neutral spot, so document-level keys reach it. */
async function focusPanel(frame) {
  await frame.locator('[data-testid=stats]').click();
}

/** The page's focused element, described for an error message (a webview's frame when the focus is in one). */
async function focusedElement(ctx) {
  return ctx.page
    .evaluate(() => {
      const e = document.activeElement;
      if (!e) return 'nothing';
      const label = e.getAttribute('aria-label') || e.getAttribute('title') || '';
      return `${e.tagName.toLowerCase()}${e.className ? `.${String(e.className).trim().split(/\s+/).join('.')}` : ''}${label ? ` "${label}"` : ''}`;
    })
    .catch((err) => `(unknown: ${err.message})`);
}

async function press(ctx, keys) {
  for (const key of keys) await ctx.page.keyboard.press(key);
}

/** A row of a tree in the side bar, by the start of its accessible label ("Head hat:", "Head hat, open:"). */
function treeRow(ctx, label) {
  return ctx.page.locator(`.part.sidebar .monaco-list-row[aria-label^="${label}"]`).first();
}

module.exports = {
  /**
   * Clicks a side bar tree row as a person would: `button` 'left' (the item's command) or 'right' (its context
   * menu, then `menuItem` in it).
   */
  async treeRow(ctx, args) {
    const row = treeRow(ctx, args.label);
    await row.waitFor({ timeout: 10_000 });
    await row.click({ button: args.button || 'left' });
    if (args.menuItem) {
      await ctx.page.locator('.monaco-menu').first().waitFor({ state: 'visible', timeout: 5_000 });
      const item = ctx.page
        .locator('.monaco-menu .action-item .action-label')
        .filter({ hasText: new RegExp(`^${args.menuItem}$`) })
        .first();
      await item.waitFor({ timeout: 5_000 });
      // Pointing at an item focuses it; Enter then runs it. (A playwright click on the item, right after the menu
      // showed, did not run it in code-server 4.100.3.)
      await item.hover();
      await ctx.page.waitForTimeout(250);
      if (args.screenshot) await ctx.screenshot(args.screenshot);
      await ctx.page.keyboard.press('Enter');
      await ctx.page.locator('.monaco-menu').first().waitFor({ state: 'hidden', timeout: 5_000 });
    }
    return true;
  },

  /** The accessible labels of the side bar's tree rows (what a screen reader reads), once one starting with `waitFor` shows. */
  async treeRows(ctx, args) {
    if (args && args.waitFor) await treeRow(ctx, args.waitFor).waitFor({ timeout: 10_000 });
    return ctx.page
      .locator('.part.sidebar .monaco-list-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') || ''));
  },

  /** A screenshot at the given window size (900 x 700 for the docs), then the harness's own size again. */
  async screenshotAt(ctx, args) {
    const before = ctx.page.viewportSize();
    await ctx.page.setViewportSize({ width: args.width, height: args.height });
    await ctx.page.waitForTimeout(600); // the workbench lays itself out again
    try {
      return await ctx.screenshot(args.name);
    } finally {
      if (before) await ctx.page.setViewportSize(before);
    }
  },

  /** Clicks the button `button` of the notification that says `contains` (a regex source). */
  async notificationButton(ctx, args) {
    const toast = ctx.page
      .locator('.notification-toast, .notifications-center')
      .filter({ hasText: new RegExp(args.contains) })
      .first();
    await toast.waitFor({ timeout: 10_000 });
    await toast.locator('.monaco-button').filter({ hasText: args.button }).first().click();
    return true;
  },

  /** The title of the quick input once one shows; then closes it with Escape when `dismiss` is set. */
  async quickInputTitle(ctx, args) {
    const title = ctx.page.locator('.quick-input-widget .quick-input-title');
    await title.filter({ hasText: /\S/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
    const text = await title.first().innerText();
    if (args && args.dismiss) await ctx.page.keyboard.press('Escape');
    return text;
  },

  /**
   * The walkthrough page: its text once `waitFor` shows in it; `step` expands that step (by its title), and
   * `button` clicks a button of the expanded step (by its label).
   */
  async walkthrough(ctx, args) {
    const page = ctx.page.locator('.gettingStartedContainer').first();
    await page.filter({ hasText: args.waitFor }).waitFor({ timeout: 15_000 });
    if (args.step) {
      await page.locator('.getting-started-step').filter({ hasText: args.step }).first().click();
      await ctx.page.waitForTimeout(300);
    }
    if (args.button) {
      const button = page
        .locator('.getting-started-step.expanded .monaco-button, .getting-started-step.expanded a')
        .filter({ hasText: args.button });
      await button.first().click();
    }
    return page.innerText();
  },

  /** Text of the notification toasts, once one matching `contains` (a regex source) shows, if given. */
  async notificationsText(ctx, args) {
    // A toast, or the notification centre when it is open (toasts collapse when several are showing).
    const shown = ctx.page.locator('.notifications-toasts, .notifications-center');
    if (args && args.contains) {
      const match = shown.filter({ hasText: new RegExp(args.contains) }).first();
      await match.waitFor({ timeout: 10_000 });
      return match.innerText();
    }
    await ctx.page.locator('.notification-toast').first().waitFor({ timeout: 10_000 });
    return ctx.page.locator('.notifications-toasts').innerText();
  },

  async statusBarText(ctx) {
    const item = ctx.page
      .locator('.statusbar-item')
      .filter({ hasText: /labels|Vector Tune/ })
      .first();
    await item.waitFor({ timeout: 10_000 });
    return item.innerText();
  },

  /** How many thumbnails the panel shows and how many actually decoded (naturalWidth > 0). */
  async panelImages(ctx, args) {
    const frame = await batchFrame(ctx);
    const images = frame.locator('[data-testid^=card-] img');
    await frame.locator(card(args.expected - 1)).waitFor({ timeout: 10_000 });
    const count = await images.count();
    let loaded = 0;
    for (let i = 0; i < count; i++) {
      await images.nth(i).scrollIntoViewIfNeeded();
      const ok = await images.nth(i).evaluate((img) =>
        img.complete
          ? img.naturalWidth > 0
          : new Promise((r) => {
              img.onload = () => r(img.naturalWidth > 0);
              img.onerror = () => r(false);
            }),
      );
      if (ok) loaded++;
    }
    return { images: count, loaded };
  },

  /**
   * Scores the batch the way a person would: keys for the first cards, clicks for others, one undo, one
   * image left unscored (skipped). Screenshots the scored batch, then presses Enter. Returns the scores
   * by file name as the panel showed them just before submitting.
   */
  async scoreBatch(ctx, args) {
    const t0 = Date.now();
    const step = (what) => ctx.log(`scoreBatch: ${what} at ${Date.now() - t0} ms`);
    const frame = await batchFrame(ctx);
    step('batch visible');
    await focusPanel(frame);
    step('focused');
    await press(ctx, ['Home', '5', '1', '4', '2']); // cards 0..3: +1, -1, +0.5, -0.5 (each key moves on)
    await press(ctx, ['5', 'u']); // card 4: +1, then undone
    step('keys');
    await frame.locator(`${card(4)} [data-testid=score-3]`).click(); // card 4: 0 by mouse
    step('click 1');
    await frame.locator(`${card(5)} [data-testid=score-1]`).click(); // card 5: -1 by mouse
    step('click 2');
    await frame.locator(`${card(6)} [data-testid=score-5]`).click(); // card 6: +1 by mouse
    step('scored');
    // card 7 stays unscored: it is submitted as skipped
    await frame.locator('[data-testid=unscored-count]').filter({ hasText: '1 unscored' }).waitFor({ timeout: 5_000 });
    const scored = {};
    const cards = frame.locator('[data-testid^=card-]');
    for (let i = 0; i < (await cards.count()); i++) {
      const c = cards.nth(i);
      const name = (await c.locator('img').getAttribute('alt')) || '';
      const raw = await c.getAttribute('data-score');
      scored[name] = raw === '' || raw === null ? null : Number(raw);
    }
    if (args && args.screenshot) await ctx.screenshot(args.screenshot);
    await focusPanel(frame);
    await press(ctx, ['Enter']);
    return { scored };
  },

  async pressKeys(ctx, args) {
    const frame = await batchFrame(ctx);
    await focusPanel(frame);
    await press(ctx, args.keys);
    return true;
  },

  /**
   * Waits until the scoring panel's webview has loaded and shows its batch. A webview asked for the focus while it
   * was still loading (a reveal() after it was hidden) takes the focus when it is ready, from whatever holds it then:
   * an input box opened in between closes, since losing the focus dismisses it.
   */
  async panelSettled(ctx) {
    try {
      await batchFrame(ctx, 10_000);
    } catch (err) {
      await recoverBlankWebview(ctx, err);
      await batchFrame(ctx, WORKER_REQUEST_TIMEOUT_MS + 5_000);
    }
    return true;
  },

  /**
   * Answers VS Code's quick input (quick pick or input box) the way a person would: types `text` into it
   * (filtering a pick list, or replacing an input box's value) and presses Enter. With `title`, only a prompt of
   * that title is answered. Each step has a short limit, so a call never outlives the test that made it (a call
   * left running could type into the next test's prompt). A prompt that closes before it is answered fails the
   * call at once, naming where the focus went.
   */
  async quickInput(ctx, args) {
    const widget = ctx.page.locator('.quick-input-widget');
    const prompt = args.title
      ? widget.filter({ has: ctx.page.locator('.quick-input-title', { hasText: args.title }) })
      : widget;
    const input = prompt.locator('input.input:visible').first();
    const what = args.title ? `the prompt "${args.title}"` : 'the quick input';
    await input.waitFor({ state: 'visible', timeout: 5_000 });
    const closedEarly = async (err) => {
      if (await input.isVisible()) throw err;
      throw new Error(`${what} closed before it was answered; the focus is now on ${await focusedElement(ctx)}`);
    };
    await input.fill(args.text, { timeout: 3_000 }).catch(closedEarly);
    await ctx.page.waitForTimeout(150); // the list filters as you type
    if (!(await input.isVisible())) await closedEarly();
    await input.press('Enter', { timeout: 3_000 }).catch(closedEarly);
    // VS Code reuses one widget for consecutive prompts: done when it closes or no longer holds our text.
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await ctx.page.waitForTimeout(100)) {
      if (!(await widget.isVisible())) return true;
      if ((await input.inputValue({ timeout: 1_000 }).catch(() => '')) !== args.text) return true;
    }
    throw new Error(`${what} still shows "${args.text}" 5 s after Enter`);
  },

  /**
   * Sends raw messages from inside the panel's frame exactly as its own script's acquireVsCodeApi().postMessage
   * does (VS Code's webview host relays `onmessage` to the extension): what a compromised panel could send.
   * `huge` adds two oversized messages built in the page (a 1 MB id, 20,000 scores) so they never cross the
   * driver's own channel.
   */
  async postFromPanel(ctx, args) {
    await batchFrame(ctx);
    // VS Code deletes `window.parent` inside the panel's frame once its API script has captured the relay, so
    // the relay is called in the host frame around the panel: the very function the panel's postMessage calls.
    for (const host of ctx.page.frames()) {
      const panels = await Promise.all(
        host.childFrames().map((c) =>
          c
            .locator('[data-testid=state-batch]')
            .count()
            .catch(() => 0),
        ),
      );
      if (!panels.some((n) => n > 0)) continue;
      return host.evaluate(({ messages, huge }) => {
        const post = (message) => window['__vscode_post_message__']('onmessage', { message, transfer: undefined });
        for (const message of messages) post(message);
        if (huge) {
          post({ kind: 'notify', method: 'openImage', id: 'x'.repeat(1_000_000) });
          post({
            kind: 'request',
            id: 1e6,
            method: 'submit',
            params: { batchId: 'b', scores: Array.from({ length: 20_000 }, (_, i) => ({ id: `r${i}`, score: 1 })) },
          });
        }
        return messages.length + (huge ? 2 : 0);
      }, args);
    }
    throw new Error('no webview host frame holds the scoring panel');
  },

  /** Text of an element of the batch screen (args.selector), and how many of args.count it holds. */
  async batchText(ctx, args) {
    const frame = await batchFrame(ctx);
    const el = frame.locator(args.selector).first();
    const count = args.count ? await el.locator(args.count).count() : 0;
    if (args.screenshot) await ctx.screenshot(args.screenshot);
    return { text: (await el.textContent({ timeout: 10_000 })) ?? '', count };
  },

  /** Clicks an element of the batch screen (args.selector), as a person would. */
  async clickInBatch(ctx, args) {
    const frame = await batchFrame(ctx);
    await frame.locator(args.selector).first().click({ timeout: 10_000 });
    return true;
  },

  /**
   * Drives the Labelled view like a person: each given step in this order: `sort` and `scoreFilter` pick an option,
   * `path` types a filter, `setScore` ({id, value})
   * picks an image's score, `settle` ({id, value}) picks a settling score, `remove` (id) and `undo` and `back` click,
   * `screenshot` names a screenshot. Returns the rows shown before any change reached the extension: id, score and
   * the annotators' scores line (null on rows without one).
   */
  async labelled(ctx, args) {
    const frame = await panelFrame(ctx, '[data-testid=state-labelled]', 'the Labelled view');
    const rows = frame.locator('[data-testid=labelled-row]');
    if (args.sort) await frame.locator('[data-testid=labelled-order]').selectOption(args.sort);
    if (args.scoreFilter) await frame.locator('[data-testid=labelled-score-filter]').selectOption(args.scoreFilter);
    if (args.path !== undefined) await frame.locator('[data-testid=labelled-path-filter]').fill(args.path);
    const shown = await rows.evaluateAll((els) =>
      els.map((e) => ({
        id: e.getAttribute('data-id'),
        score: Number(e.getAttribute('data-score')),
        annotators: e.querySelector('[data-testid=annotator-scores]')?.textContent ?? null,
      })),
    );
    if (args.screenshot) await ctx.screenshot(args.screenshot);
    const row = (id) => frame.locator(`[data-testid=labelled-row][data-id=${JSON.stringify(id)}]`);
    if (args.setScore)
      await row(args.setScore.id).locator('[data-testid=labelled-score]').selectOption(String(args.setScore.value));
    if (args.settle)
      await row(args.settle.id).locator('[data-testid=labelled-settle]').selectOption(String(args.settle.value));
    if (args.remove !== undefined) await row(args.remove).locator('[data-testid=labelled-remove]').click();
    if (args.undo) await frame.locator('[data-testid=labelled-undo]').click();
    if (args.back) await frame.locator('[data-testid=labelled-back]').click();
    return shown;
  },

  /**
   * Opens the Labelled view's kappa table from the keyboard (its summary focused, then Enter, as after a Tab) and
   * returns the table's text, cells separated by tabs and rows by newlines.
   */
  async labelledKappa(ctx) {
    const frame = await panelFrame(ctx, '[data-testid=state-labelled]', 'the Labelled view');
    const summary = frame.locator('[data-testid=kappa-summary]');
    await summary.focus();
    await summary.press('Enter');
    const table = frame.locator('[data-testid=kappa-table]');
    await table.waitFor({ state: 'visible', timeout: 10_000 });
    return table.evaluate((t) =>
      [...t.querySelectorAll('tr')].map((tr) => [...tr.children].map((c) => c.textContent).join('\t')).join('\n'),
    );
  },

  /** Waits until a webview shows the panel's message state `kind` (empty-store, no-head, ...); returns its text. */
  async panelMessageState(ctx, args) {
    const selector = `[data-testid=state-${args.kind}]`;
    for (
      const deadline = Date.now() + (args.timeoutMs || 20_000);
      Date.now() < deadline;
      await ctx.page.waitForTimeout(100)
    ) {
      const count = await ctx.page.locator('iframe.webview').count();
      for (let index = count - 1; index >= 0; index--) {
        const state = ctx.webview({ index }).locator(selector);
        if (await state.isVisible().catch(() => false)) return state.innerText();
      }
    }
    throw new Error(`no webview showed ${selector}${await unloadedWebviews(ctx)}`);
  },

  /** Types `text` into the panel's search box and presses Enter, as a person searching would. */
  async search(ctx, args) {
    const frame = await batchFrame(ctx);
    const input = frame.locator('[data-testid=search-input]');
    await input.fill(args.text);
    await input.press('Enter');
    return true;
  },

  /** Chooses `value` in the panel's select `testid` (strategy-select, batch-size-select), as a person would. */
  async selectOption(ctx, args) {
    const frame = await batchFrame(ctx);
    await frame.locator(`[data-testid=${args.testid}]`).selectOption(String(args.value));
    return true;
  },

  /** Clicks "More like this" on card `index`. */
  async moreLikeThis(ctx, args) {
    const frame = await batchFrame(ctx);
    await frame.locator(`[data-testid=more-like-${args.index}]`).click();
    return true;
  },

  /** The text of the first element matching `selector` in the batch screen; with `contains`, once it contains that. */
  async panelText(ctx, args) {
    const frame = await batchFrame(ctx);
    const el = frame.locator(args.selector).first();
    if (args.contains) await el.filter({ hasText: args.contains }).waitFor({ timeout: 10_000 });
    return el.innerText();
  },

  /** Takes a screenshot of the workbench once the batch screen is up and its images decoded. */
  async panelScreenshot(ctx, args) {
    const frame = await batchFrame(ctx);
    await frame
      .locator('img')
      .evaluateAll((imgs) =>
        Promise.all(imgs.map((img) => (img.complete ? null : new Promise((r) => img.addEventListener('load', r))))),
      );
    await ctx.screenshot(args.name);
    return true;
  },

  /** The score a card shows (null when unscored). */
  async cardScore(ctx, args) {
    const frame = await batchFrame(ctx);
    const raw = await frame.locator(card(args.index)).getAttribute('data-score');
    return raw === '' || raw === null ? null : Number(raw);
  },
};
