/**
 * An evaluation report as a code host shows it: the Markdown rendered by markdown-it with HTML on (the renderer
 * of VS Code's preview; GitHub's keeps the same <img> tags), saved beside the report so every relative link
 * resolves as it does there, and loaded in real Chromium. Every thumbnail must load from the report's
 * `<name>-thumbs/` folder (not the images themselves, which may be git-ignored; no data: URIs, which code hosts
 * drop), within the size limit; past the limit the report says how many have none; without thumbnails the
 * images themselves are linked and the folder is gone.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import MarkdownIt from 'markdown-it';
import { type ClipEncoder, loadClip } from '../../src/core/embed/clip';
import { evaluateHead, readHeadForEvaluation } from '../../src/core/eval/evaluate';
import type { EvaluationResult } from '../../src/core/eval/evaluation-result';
import { writeReport } from '../../src/core/eval/report';
import { shownRecords } from '../../src/core/eval/report-markdown';
import { THUMBNAIL_EDGE } from '../../src/core/eval/report-thumbnails';
import { writeWeights } from '../../src/core/head/weights-file';
import { generateClipModel } from '../../tools/generate-model/generate';
import { weightsFor } from '../helpers/head-weights';
import { type Harness, IMAGES_DIR, startHarness } from './harness';

let hx: Harness;
let tmp: string;
let ws: string;
let encoder: ClipEncoder;
let result: EvaluationResult;
const headDir = () => path.join(ws, 'heads', 'hat');

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-report-thumbs-'));
  ws = path.join(tmp, 'ws');
  fs.cpSync(IMAGES_DIR, path.join(ws, 'images'), { recursive: true });
  await generateClipModel(path.join(tmp, 'model'));
  encoder = await loadClip(path.join(tmp, 'model'));
  const w = Array.from({ length: encoder.dimension }, (_, i) => Math.sin(i + 1));
  await writeWeights(path.join(headDir(), 'classifier.weights.json'), weightsFor('hat', encoder.modelId, w));
  result = await evaluateHead({
    head: await readHeadForEvaluation(path.join(headDir(), 'classifier.weights.json')),
    data: { kind: 'folder', folder: path.join(ws, 'images'), embedder: encoder },
    root: ws,
    truth: { kind: 'folders', positive: 'hat' },
    listSize: 10,
  });
  hx = await startHarness();
});

after(async () => {
  await hx?.close();
  await encoder?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The report rendered beside itself and opened in Chromium: each <img>'s src and natural size. */
async function rendered(markdownFile: string): Promise<{ src: string; width: number; height: number }[]> {
  const html = new MarkdownIt({ html: true }).render(fs.readFileSync(markdownFile, 'utf8'));
  const page = path.join(path.dirname(markdownFile), 'rendered.html');
  fs.writeFileSync(page, `<!doctype html><html><body>${html}</body></html>`);
  const tab = await hx.browser.newPage();
  try {
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    return await tab.$$eval('img', (imgs) =>
      imgs.map((i) => ({ src: i.getAttribute('src') ?? '', width: i.naturalWidth, height: i.naturalHeight })),
    );
  } finally {
    await tab.close();
    fs.rmSync(page);
  }
}

test('the report shows every listed image as a thumbnail beside it, loaded by relative path', async () => {
  const written = await writeReport(headDir(), result, { root: ws });
  assert.ok(written.files.thumbnails, 'a thumbnails folder');
  const images = await rendered(written.files.markdown);
  const thumbs = images.filter((i) => i.src.startsWith(`${written.name}-thumbs/`));
  const shown = shownRecords(result);
  assert.ok(shown.length >= 10, `${shown.length} listed records`);
  assert.equal(thumbs.length, shown.length);
  assert.equal(images.length, thumbs.length + 2, 'besides the thumbnails, only the two charts');
  for (const img of images) assert.ok(img.width > 0 && img.height > 0, `${img.src} did not load`);
  for (const t of thumbs) assert.ok(Math.max(t.width, t.height) <= THUMBNAIL_EDGE, `${t.src}: ${t.width}x${t.height}`);
  assert.ok(!fs.readFileSync(written.files.markdown, 'utf8').includes('data:'), 'no data: URIs');
  const files = fs.readdirSync(written.files.thumbnails);
  assert.equal(files.length, new Set(shown.map((r) => r.path)).size, 'one file per listed image');
  const bytes = files.reduce((n, f) => n + fs.statSync(path.join(written.files.thumbnails!, f)).size, 0);
  console.log(`  report thumbnails: ${files.length} images, ${(bytes / 1024).toFixed(0)} KB in all`);
});

test('past the size limit the rest get none and the report says so; stale thumbnails are removed', async () => {
  const full = await writeReport(headDir(), result, { root: ws });
  const before = fs.readdirSync(full.files.thumbnails!);
  const sizes = before.map((f) => fs.statSync(path.join(full.files.thumbnails!, f)).size);
  const limit = sizes.slice(0, 3).reduce((a, b) => a + b, 0) + 10;
  const limited = await writeReport(headDir(), result, { root: ws, thumbnails: limit });
  const after = fs.readdirSync(limited.files.thumbnails!);
  assert.ok(after.length >= 1 && after.length < before.length, `${after.length} of ${before.length} kept`);
  const kept = after.reduce((n, f) => n + fs.statSync(path.join(limited.files.thumbnails!, f)).size, 0);
  assert.ok(kept <= limit, `${kept} bytes within the limit of ${limit}`);
  const markdown = fs.readFileSync(limited.files.markdown, 'utf8');
  assert.match(markdown, /_\d+ listed images have no thumbnail: the thumbnails' size limit was reached\._/);
  for (const img of await rendered(limited.files.markdown)) assert.ok(img.width > 0, `${img.src} did not load`);
});

test('without thumbnails the report links the images themselves and the folder is removed', async () => {
  const written = await writeReport(headDir(), result, { root: ws, thumbnails: false });
  assert.equal(written.files.thumbnails, null);
  assert.ok(!fs.existsSync(path.join(path.dirname(written.files.markdown), `${written.name}-thumbs`)));
  const images = await rendered(written.files.markdown);
  const photos = images.filter((i) => i.src.startsWith('../../../images/'));
  assert.equal(photos.length, images.length - 2);
  for (const img of images) assert.ok(img.width > 0, `${img.src} did not load`);
});
