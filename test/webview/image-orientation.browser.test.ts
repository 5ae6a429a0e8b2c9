/**
 * Thumbnails show EXIF-turned photos upright, as the model sees them (test/unit/image-orientation.test.ts):
 * the scoring panel's cards and viewer under its real CSS and CSP, and the evaluation report's thumbnails,
 * from a report written by the real evaluateHead + writeReport, shown in Chromium (the engine of VS Code's
 * Markdown preview). Each picture has four coloured quadrants, so any wrong turn or mirror shows.
 * Run: npx tsx --test test/webview/image-orientation.browser.test.ts
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { Locator, Page } from '../../tools/vscode-test/node_modules/playwright-core';
import { loadClip } from '../../src/core/embed/clip';
import { evaluateHead, readHeadForEvaluation } from '../../src/core/eval/evaluate';
import { writeReport } from '../../src/core/eval/report';
import { THUMBNAIL_EDGE } from '../../src/core/eval/report-thumbnails';
import { readWeights, writeWeights } from '../../src/core/head/weights-file';
import type { CandidateView, ToPanel } from '../../src/protocol/webview-protocol';
import { generateClipModel } from '../../tools/generate-model/generate';
import { quadrantError, quadrantImage, storedForOrientation } from '../helpers/image-orientation';
import { REPO_ROOT } from '../helpers/temp';
import { type Harness, startHarness } from './harness';
import type { PageElement, PageImage, PageStyle, PageWindow } from './page-dom';

// Callbacks passed to page.evaluate run in the browser; the root tsconfig has no DOM lib (see panel.browser.test.ts).
declare const window: PageWindow, getComputedStyle: (element: PageElement) => PageStyle;

const ORIENTATIONS = [1, 2, 3, 4, 5, 6, 7, 8];
/** Upright 240 x 160: the cards crop it to a square (object-fit: cover), which keeps each quadrant's centre. */
const upright = quadrantImage(240, 160);
/** JPEG quality 95 and the browser's scaling blur the colours a little; a wrong turn is off by 150 or more. */
const TOLERANCE = 40;

let hx: Harness;
let tmp: string;
/** The tagged JPEG of each orientation. */
const jpegs = new Map<number, Buffer>();

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-orientation-browser-'));
  for (const o of ORIENTATIONS) {
    const stored = storedForOrientation(upright, o);
    jpegs.set(
      o,
      await sharp(stored.data, { raw: { width: stored.width, height: stored.height, channels: 3 } })
        .jpeg({ quality: 95 })
        .withMetadata({ orientation: o })
        .toBuffer(),
    );
  }
  hx = await startHarness();
});

after(async () => {
  await hx?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** How far the picture an element shows is from upright (see quadrantError), from a screenshot of `clip` or the element. */
async function shownError(
  page: Page,
  element: Locator,
  clip?: { x: number; y: number; width: number; height: number },
): Promise<number> {
  const png = clip ? await page.screenshot({ clip }) : await element.screenshot();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return quadrantError(data, info.width, info.height);
}

/** Waits until an <img> has loaded and returns its natural (as displayed, after orientation) size and CSS. */
async function loaded(img: Locator): Promise<{ width: number; height: number; orientation: string }> {
  await img.scrollIntoViewIfNeeded(); // the cards load lazily
  await img.evaluate((el: PageImage) =>
    el.complete && el.naturalWidth > 0
      ? undefined
      : new Promise((resolve) => el.addEventListener('load', resolve, { once: true })),
  );
  return img.evaluate((el: PageImage) => ({
    width: el.naturalWidth,
    height: el.naturalHeight,
    orientation: getComputedStyle(el).imageOrientation,
  }));
}

test('the panel: cards and the viewer show every EXIF orientation upright', async () => {
  const page = hx.page;
  await page.goto(hx.pageUrl('dark'));
  await page.waitForFunction(() => window.__posted.some((m) => m.method === 'ready'));
  const candidates: CandidateView[] = ORIENTATIONS.map((o, i) => ({
    id: `photos/o${o}.jpg`,
    name: `o${o}.jpg`,
    src: `data:image/jpeg;base64,${jpegs.get(o)!.toString('base64')}`, // the panel's CSP allows data: images
    logit: 1 - i * 0.25,
    probability: 1 / (1 + Math.exp(i * 0.25 - 1)),
  }));
  const message: ToPanel = {
    kind: 'state',
    state: {
      kind: 'batch',
      batchId: 'orientation',
      head: { name: 'h', labelCount: 0, storeCount: 8, seenCount: 0, strategy: 'mixed' },
      candidates,
      draft: {},
    },
  };
  await page.evaluate((m) => window.postMessage(m, '*'), message);

  const errors: number[] = [];
  for (const [i, o] of ORIENTATIONS.entries()) {
    const img = page.locator(`[data-testid=card-${i}] .thumb img`);
    const shown = await loaded(img);
    assert.equal(shown.orientation, 'from-image', 'the panel CSS asks for EXIF orientation');
    assert.deepEqual([shown.width, shown.height], [upright.width, upright.height], `card ${o}: upright size`);
    errors.push(await shownError(page, img));
    assert.ok(errors[i] <= TOLERANCE, `card of orientation ${o} is not upright (quadrant error ${errors[i]})`);
  }

  // The viewer, opened on the first card and stepped through all eight (object-fit: contain, so the picture
  // is the centred box of its aspect inside the element).
  await page.locator('[data-testid=card-0]').focus();
  await page.keyboard.press('Space');
  const viewerImg = page.locator('[data-testid=viewer] img');
  for (const o of ORIENTATIONS) {
    await page.waitForFunction(
      (src) => window.document.querySelector<PageImage>('[data-testid=viewer] img')?.src === src,
      candidates[o - 1].src,
    );
    const shown = await loaded(viewerImg);
    assert.equal(shown.orientation, 'from-image');
    const box = (await viewerImg.boundingBox())!;
    const scale = Math.min(box.width / shown.width, box.height / shown.height);
    const [w, h] = [shown.width * scale, shown.height * scale];
    const clip = {
      x: box.x + (box.width - w) / 2 + 2,
      y: box.y + (box.height - h) / 2 + 2,
      width: w - 4,
      height: h - 4,
    };
    assert.ok((await shownError(page, viewerImg, clip)) <= TOLERANCE, `viewer, orientation ${o}: not upright`);
    await page.keyboard.press('ArrowRight');
  }
  await page.keyboard.press('Escape');
  console.log(
    `image orientation (panel): 8 cards and 8 viewer pictures upright (largest card colour error ${Math.max(...errors)} of ${TOLERANCE} allowed)`,
  );
});

test('the report: thumbnails of a real evaluation report show every EXIF orientation upright', async () => {
  // A workspace with the eight photos, a generated CLIP model, and a head for it (any weights: only the
  // listed images matter here).
  const ws = path.join(tmp, 'ws');
  fs.mkdirSync(path.join(ws, 'photos'), { recursive: true });
  for (const o of ORIENTATIONS) fs.writeFileSync(path.join(ws, 'photos', `o${o}.jpg`), jpegs.get(o)!);
  const modelDir = path.join(tmp, 'model');
  await generateClipModel(modelDir);
  const encoder = await loadClip(modelDir);
  try {
    const template = await readWeights(path.join(REPO_ROOT, 'test', 'fixtures', 'foreign.weights.json'));
    const w = Array.from({ length: encoder.dimension }, (_, i) => Math.sin(i + 1));
    const weightsFile = path.join(ws, 'heads', 'h', 'classifier.weights.json');
    await writeWeights(weightsFile, {
      ...template,
      name: 'h',
      model: { id: encoder.modelId, dimension: encoder.dimension },
      w,
      start: { kind: 'examples', ids: ['x'], w, b: 0 },
    });
    const result = await evaluateHead({
      head: await readHeadForEvaluation(weightsFile),
      data: { kind: 'folder', folder: path.join(ws, 'photos'), embedder: encoder },
      root: ws,
      listSize: 8,
    });
    const written = await writeReport(path.join(ws, 'heads', 'h'), result, { root: ws });

    // The report's own <img> tags, in a page beside it so their relative links resolve as in the preview.
    const tags = fs.readFileSync(written.files.markdown, 'utf8').match(/<img [^>]*>/g) ?? [];
    assert.equal(tags.length, 8, 'a thumbnail per photo');
    const page = path.join(path.dirname(written.files.markdown), 'thumbnails.html');
    fs.writeFileSync(
      page,
      `<!doctype html><html><body style="margin:0;background:#fff">${tags.join('\n')}</body></html>`,
    );
    const browser = await hx.browser.newPage();
    try {
      await browser.goto(pathToFileURL(page).href);
      for (const tag of tags) {
        const name = /alt="photos\/(o\d\.jpg)"/.exec(tag)![1];
        const img = browser.locator(`img[alt="photos/${name}"]`);
        const shown = await loaded(img);
        // The report's thumbnail (written beside it) is the upright photo, shrunk to fit THUMBNAIL_EDGE.
        const scale = Math.min(1, THUMBNAIL_EDGE / Math.max(upright.width, upright.height));
        const expected = [Math.round(upright.width * scale), Math.round(upright.height * scale)];
        assert.deepEqual([shown.width, shown.height], expected, `${name}: upright size`);
        assert.ok((await shownError(browser, img)) <= TOLERANCE, `report thumbnail ${name} is not upright`);
      }
    } finally {
      await browser.close();
    }
  } finally {
    await encoder.dispose();
  }
  console.log('image orientation (report): 8 thumbnails of a written report upright');
});
