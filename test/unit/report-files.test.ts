import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { evaluateHead, EvaluatedHead, readHeadForEvaluation, summariseRanking } from '../../src/core/eval/evaluate';
import { EvaluationResult, REPORT_FORMAT, REPORT_FORMAT_VERSION } from '../../src/core/eval/evaluation-result';
import { defaultReportName, writeReport } from '../../src/core/eval/report';
import { readWeights, writeWeights } from '../../src/core/head/weights-file';
import { sha256File } from '../../src/core/util/hash';
import { CLOTHING_CSV as CSV, CLOTHING_NPY as NPY, loadClothingFeatures } from '../helpers/clothing-features';
import { REPO_ROOT, sharedData, tempDir } from '../helpers/temp';

/**
 * The report files: written into <head>/reports/ atomically, Markdown whose every link resolves, SVGs that
 * are well-formed XML with one mark per data point, and the comparison with the report they replace. On the
 * real clothing features and photos (../shared/data).
 */
const IMAGES = sharedData('clothing');

/** A minimal XML well-formedness check: tags matched and nested, attributes quoted, no bare & or <; element counts. */
function checkXml(text: string): Map<string, number> {
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>/y;
  const bareAmp = /&(?!(amp|lt|gt|quot|apos|#\d+);)/;
  const stack: string[] = [];
  const counts = new Map<string, number>();
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const between = text.slice(i, lt < 0 ? undefined : lt);
    assert.doesNotMatch(between, bareAmp, `bare & in "${between}"`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    assert.ok(m, `malformed tag at ${lt}: ${text.slice(lt, lt + 80)}`);
    const [, close, name, attrs, selfClosing] = m;
    assert.doesNotMatch(attrs, bareAmp, `bare & in an attribute of <${name}>`);
    if (close) {
      assert.equal(stack.pop(), name, `</${name}> closes another element`);
    } else {
      if (stack.length === 0) assert.ok(name === 'svg' && counts.size === 0, 'a single root element, <svg>');
      if (!selfClosing) stack.push(name);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    i = tag.lastIndex;
  }
  assert.deepEqual(stack, [], 'every element is closed');
  return counts;
}

/** Every relative link of a Markdown file (Markdown links and images, HTML href and src), decoded. */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)\)/g), ...markdown.matchAll(/(?:href|src)="([^"]+)"/g)].map(
    (m) => m[1],
  );
  return targets.filter((t) => !/^[a-z]+:/i.test(t)).map((t) => decodeURIComponent(t.replace(/&amp;/g, '&')));
}

async function assertLinksResolve(markdownFile: string): Promise<string[]> {
  const links = relativeLinks(await fs.readFile(markdownFile, 'utf8'));
  for (const link of links) {
    await fs
      .access(path.resolve(path.dirname(markdownFile), link))
      .catch(() => assert.fail(`broken link in the report: ${link}`));
  }
  return links;
}

/**
 * A committed hat head as `start --examples` makes it: the mean of three train hats, centred on the train
 * mean and normalised, written as a real weights file (so the report's hash is the file's).
 */
async function commitHead(headsDir: string, examples: number, b: number): Promise<EvaluatedHead> {
  const { matrix: m, label, train, centre, unitRow } = await loadClothingFeatures();
  const w = new Array<number>(m.dim).fill(0);
  for (const r of train.filter((r) => label[r] === 'hat').slice(0, examples)) {
    unitRow(r).forEach((v, i) => (w[i] += v / examples));
  }
  const template = await readWeights(path.join(REPO_ROOT, 'test', 'fixtures', 'foreign.weights.json'));
  const file = path.join(headsDir, 'hat', 'classifier.weights.json');
  await writeWeights(file, {
    ...template,
    name: 'hat',
    model: { id: 'nsfwjs-mobilenetv2', dimension: m.dim },
    preprocessing: { centre, normalise: 'l2' },
    w,
    b,
    start: { kind: 'examples', ids: ['x'], w, b: 0 },
    labels: { file: 'labels.jsonl', count: examples, rounds: 0, sha256: '' },
  });
  return readHeadForEvaluation(file);
}

async function evaluateOnTestSplit(head: EvaluatedHead, root: string): Promise<EvaluationResult> {
  return evaluateHead({
    head,
    data: {
      kind: 'embeddings',
      npyFile: NPY,
      csvFile: CSV,
      idColumn: 'path',
      where: [{ column: 'split', value: 'test' }],
      imageFolder: IMAGES,
    },
    root,
    truth: { kind: 'answers', sheet: { file: CSV, idColumn: 'path', labelColumn: 'label', positive: 'hat' } },
    listSize: 6,
  });
}

test('a report on real data: four files and the thumbnails, every link resolves, well-formed SVGs, no temporary files left', async (t) => {
  const ws = await tempDir(t);
  const headsDir = path.join(ws, 'vectortune', 'heads');
  const head = await commitHead(headsDir, 3, -0.2);
  assert.equal(head.weightsSha256, await sha256File(path.join(headsDir, 'hat', 'classifier.weights.json')));
  const result = await evaluateOnTestSplit(head, ws);
  const written = await writeReport(path.join(headsDir, 'hat'), result, { root: ws });

  const name = 'eval-clothing-mobilenetv2-split-test-hat';
  assert.equal(written.name, name);
  assert.equal(defaultReportName(result), name);
  const reports = path.join(headsDir, 'hat', 'reports');
  assert.deepEqual((await fs.readdir(reports)).sort(), [
    `${name}-pr.svg`,
    `${name}-scores.svg`,
    `${name}-thumbs`,
    `${name}.json`,
    `${name}.md`,
  ]);
  assert.equal(written.previous, null);
  assert.equal(written.comparison, null);

  const json = JSON.parse(await fs.readFile(written.files.json, 'utf8'));
  assert.deepEqual(json, { ...result, comparison: null, comparisonNote: null });

  const md = await fs.readFile(written.files.markdown, 'utf8');
  const m = result.metrics!;
  assert.ok(md.includes(`\`${head.weightsSha256}\``), 'names the weights hash');
  assert.match(md, /`nsfwjs-mobilenetv2` \(1280-d\)/);
  assert.match(md, /`hat`: 3 labels in 0 rounds/);
  assert.match(md, /where split=test\): 372 records/);
  assert.ok(md.includes(`| average precision | ${m.averagePrecision!.toFixed(4)} | – |`));
  assert.ok(md.includes(`| ROC-AUC | ${m.rocAuc!.toFixed(4)} | – |`));
  assert.ok(md.includes(`| positives | 12 (3.2%) | – |`));
  const c = m.atDecision.confusion;
  assert.ok(md.includes(`| **positive** (12) | ${c.tp} (TP) | ${c.fn} (FN) |`));
  assert.ok(md.includes(`![Precision-recall curve](${name}-pr.svg) ![Score histogram](${name}-scores.svg)`));
  assert.ok(
    result.falsePositives.length > 0 && result.falseNegatives.length > 0,
    'this head makes both kinds of error',
  );

  // Every thumbnail (beside the report) links the real photo, by paths relative to the report.
  const links = await assertLinksResolve(written.files.markdown);
  const photos = links.filter((l) => l.endsWith('.jpg'));
  assert.equal(
    photos.length,
    2 * (result.falsePositives.length + result.falseNegatives.length),
    'each thumbnail: <a href> and <img src>',
  );
  const hrefs = [...md.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]);
  const srcs = [...md.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(hrefs.length > 0 && hrefs.every((l) => l.startsWith('../')), 'the link: the photo itself');
  assert.ok(
    srcs.length === hrefs.length && srcs.every((l) => l.startsWith(`${name}-thumbs/`)),
    'the image: its thumbnail',
  );
  assert.ok(md.includes(`<img src="${srcs[0]}" width="96"`));

  const pr = await fs.readFile(written.files.prSvg!, 'utf8');
  checkXml(pr);
  assert.equal(pr.match(/class="point decision"/g)?.length, 1, 'the logit-0 point');
  assert.equal(pr.match(/class="point best-f1"/g)?.length, 1, 'the best-F1 point');
  const curve = /class="pr-curve" data-points="(\d+)" d="([^"]+)"/.exec(pr)!;
  assert.equal(Number(curve[1]), result.curves!.pr.length);
  assert.equal(curve[2].match(/H/g)!.length, result.curves!.pr.length, 'one horizontal step per PR point');
  assert.match(pr, /AP 0\.\d{3}/);

  const scores = await fs.readFile(written.files.scoresSvg, 'utf8');
  checkXml(scores);
  const nonZero = (counts: number[]) => counts.filter((x) => x > 0).length;
  assert.equal(scores.match(/class="bar positive"/g)!.length, nonZero(result.histogram.positives!));
  assert.equal(scores.match(/class="bar negative"/g)!.length, nonZero(result.histogram.negatives!));
  assert.match(scores, /positive \(12\)/);
  assert.match(scores, /negative \(360\)/);
});

test('a second run compares with the report it replaces: delta column in the Markdown, comparison in the JSON', async (t) => {
  const ws = await tempDir(t);
  const headsDir = path.join(ws, 'vectortune', 'heads');
  const first = await evaluateOnTestSplit(await commitHead(headsDir, 3, -0.2), ws);
  await writeReport(path.join(headsDir, 'hat'), first, { root: ws });
  const second = await evaluateOnTestSplit(await commitHead(headsDir, 8, -0.2), ws);
  const written = await writeReport(path.join(headsDir, 'hat'), second, { root: ws });

  assert.deepEqual(written.previous, { ...first, comparison: null, comparisonNote: null });
  assert.equal(written.comparison!.previous.weightsSha256, first.head.weightsSha256);
  assert.notEqual(second.head.weightsSha256, first.head.weightsSha256);
  const apBefore = first.metrics!.averagePrecision!;
  const apAfter = second.metrics!.averagePrecision!;
  assert.notEqual(apAfter, apBefore, 'eight examples rank differently from three');
  const delta = apAfter - apBefore;
  const signed = `${delta > 0 ? '+' : '−'}${Math.abs(delta).toFixed(4)}`;
  const md = await fs.readFile(written.files.markdown, 'utf8');
  assert.ok(md.includes(`| average precision | ${apAfter.toFixed(4)} | ${signed} |`), md);
  assert.ok(md.includes('| records with an answer | 372 | ±0 |'));
  assert.match(
    md,
    new RegExp(
      `compared with\\*\\*: the previous report of ${first.createdAt} \\(weights \`${first.head.weightsSha256.slice(0, 12)}\`, 3 labels\\)`,
    ),
  );
  const json = JSON.parse(await fs.readFile(written.files.json, 'utf8'));
  assert.equal(json.comparison.changes[0].key, 'averagePrecision');
  assert.ok(Math.abs(json.comparison.changes[0].delta - delta) < 1e-15);
  assert.deepEqual(
    (await fs.readdir(path.join(headsDir, 'hat', 'reports'))).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('odd file names link correctly; no truth gives a ranked list and no PR chart; bad names and bad baselines are handled', async (t) => {
  const ws = await tempDir(t);
  // Real photos under names a URL must escape: spaces, parentheses, #, and a | that would split a table cell.
  const sample = path.join(REPO_ROOT, 'samples', 'clothing', 'images', 'hat');
  const photos = (await fs.readdir(sample)).slice(0, 3);
  const names = ['my hat (1).jpg', 'hat #2.jpg', 'a|b.jpg'];
  await fs.mkdir(path.join(ws, 'photos', 'new batch'), { recursive: true });
  for (let i = 0; i < 3; i++)
    await fs.copyFile(path.join(sample, photos[i]), path.join(ws, 'photos', 'new batch', names[i]));
  const ranked = names.map((n, i) => ({ id: `photos/new batch/${n}`, path: `photos/new batch/${n}`, logit: 2 - i }));
  ranked.push({ id: 'gone.jpg', path: 'gone.jpg', logit: -5 });
  const s = summariseRanking(ranked, null, 10);
  const result: EvaluationResult = {
    format: REPORT_FORMAT,
    version: REPORT_FORMAT_VERSION,
    createdAt: '2025-01-01T00:00:00.000Z',
    tool: { name: 'vector-tune', reportFormatVersion: REPORT_FORMAT_VERSION },
    head: {
      name: 'hat',
      weightsSha256: 'f'.repeat(64),
      labelsCount: 1,
      labelsRounds: 0,
      weightsUpdatedAt: '2025-01-01T00:00:00.000Z',
    },
    model: { id: 'm', dimension: 2 },
    data: {
      kind: 'folder',
      folder: 'photos',
      description: 'images in photos/',
      records: 4,
      skipped: [{ path: 'photos/broken.jpg', reason: 'not an image' }],
    },
    truth: null,
    ...s.figures,
  };
  const headDir = path.join(ws, 'heads', 'hat');
  await fs.mkdir(path.join(headDir, 'reports'), { recursive: true });
  await fs.writeFile(path.join(headDir, 'reports', 'eval-photos.json'), '{"format": "vector-tune-evaluation", "ver');
  const written = await writeReport(headDir, result, { root: ws });
  assert.equal(written.name, 'eval-photos');
  assert.equal(written.files.prSvg, null);
  assert.match(written.comparisonNote!, /not valid JSON/);
  assert.deepEqual((await fs.readdir(path.join(headDir, 'reports'))).sort(), [
    'eval-photos-scores.svg',
    'eval-photos-thumbs',
    'eval-photos.json',
    'eval-photos.md',
  ]);

  const md = await fs.readFile(written.files.markdown, 'utf8');
  assert.doesNotMatch(md, /Precision-recall/);
  assert.match(md, /## Top 4/);
  assert.ok(md.includes('my%20hat%20%281%29.jpg') && md.includes('hat%20%232.jpg') && md.includes('a%7Cb.jpg'));
  const links = await assertLinksResolve(written.files.markdown);
  assert.equal(links.filter((l) => l.includes('new batch/')).length, 3, 'three photos, each linked');
  assert.equal(links.filter((l) => l.startsWith('eval-photos-thumbs/')).length, 3, 'and shown as a thumbnail');
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && l.includes('.jpg'));
  assert.equal(rows.length, 4);
  for (const row of rows) assert.equal(row.replace(/\\\|/g, '').split('|').length, 5, `three cells: ${row}`);
  assert.match(
    md,
    /\n\|\s+\| `gone\.jpg` \| -5\.0000 \|\n/,
    'a missing image gets no thumbnail rather than a broken one',
  );
  assert.match(md, /## Skipped files\n\n- `photos\/broken.jpg`: not an image/);
  checkXml(await fs.readFile(written.files.scoresSvg, 'utf8'));
  assert.match(await fs.readFile(written.files.scoresSvg, 'utf8'), /all records \(4, no truth\)/);

  await assert.rejects(writeReport(headDir, result, { root: ws, name: '../escape' }), /not a valid report name/);
});
