import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { sha256File } from '../../src/core/util/hash';
import { generateClipModel } from '../../tools/generate-model/generate';
import { cli as runCli, cliOk as ok } from '../helpers/cli';
import {
  CLOTHING_CSV,
  CLOTHING_NPY,
  IMPORT_CLOTHING_TRAIN,
  RANK_HAT_ON_TEST_SPLIT,
  trainHats,
  tuneHatArgs,
} from '../helpers/clothing-features';
import { sharedData, tempDir } from '../helpers/temp';

/**
 * `vector-tune eval` through the built CLI, on real data: the clothing MobileNetV2 features (a tuned hat head
 * evaluated on the held-out test split, gated against its previous report), and real photos in class
 * sub-folders embedded by a generated CLIP model.
 */
const NPY = CLOTHING_NPY;
const CSV = CLOTHING_CSV;
const PHOTOS = sharedData('clothing');
const REPORT = 'eval-clothing-mobilenetv2-split-test-hat';

const cli = (cwd: string, ...args: string[]) => runCli(cwd, args);

/** A figure from the summary table the CLI prints ("  average precision   0.5323  (+0.0100)"). */
function printed(stdout: string, label: string): string {
  const m = new RegExp(`^  ${label} +(\\S+)`, 'm').exec(stdout);
  assert.ok(m, `no "${label}" in:\n${stdout}`);
  return m[1];
}

const EVAL_TEST_SPLIT = [
  '--npy',
  NPY,
  '--csv',
  CSV,
  '--where',
  'split=test',
  '--label-column',
  'label',
  '--positive',
  'hat',
  '--images',
  PHOTOS,
];

test('eval on the held-out split: the AP rank prints, a report naming the head, deltas and CI gates', async (t) => {
  const ws = await tempDir(t);
  ok(ws, ...IMPORT_CLOTHING_TRAIN);
  ok(ws, 'start', 'hat', '--examples', (await trainHats()).join(','));
  const tune = (rounds: number) => ok(ws, ...tuneHatArgs('--rounds', String(rounds), '--batch', '10'));
  tune(10);

  const first = ok(ws, 'eval', 'hat', ...EVAL_TEST_SPLIT);
  const ranked = ok(ws, ...RANK_HAT_ON_TEST_SPLIT);
  const rankAp = /AP ([\d.]+), ROC-AUC ([\d.]+)/.exec(ranked)!;
  assert.equal(printed(first, 'average precision'), rankAp[1], 'eval and rank print the same engine figure');
  assert.equal(printed(first, 'ROC-AUC'), rankAp[2]);
  assert.equal(printed(first, 'records with an answer'), '372');
  assert.equal(printed(first, 'positives'), '12');
  assert.match(first, new RegExp(`^report: vectortune/heads/hat/reports/${REPORT}\\.md$`, 'm'));

  const reports = path.join(ws, 'vectortune', 'heads', 'hat', 'reports');
  assert.deepEqual((await fs.readdir(reports)).sort(), [
    `${REPORT}-pr.svg`,
    `${REPORT}-scores.svg`,
    `${REPORT}-thumbs`,
    `${REPORT}.json`,
    `${REPORT}.md`,
  ]);
  const weightsSha = await sha256File(path.join(ws, 'vectortune', 'heads', 'hat', 'classifier.weights.json'));
  let md = await fs.readFile(path.join(reports, `${REPORT}.md`), 'utf8');
  assert.ok(md.includes(`\`${weightsSha}\``), 'the report names the weights file hash');
  assert.match(md, /`nsfwjs-mobilenetv2` \(1280-d\)/);
  assert.match(md, /`hat`: 103 labels in 10 rounds/);
  assert.match(
    md,
    /clothing-mobilenetv2\.npy \(rows named by .*clothing-mobilenetv2\.csv, where split=test\): 372 records/,
  );
  assert.ok(md.includes(`| average precision | ${rankAp[1]} | – |`), 'first report: no change to show');
  for (const link of [...md.matchAll(/src="([^"]+)"/g)].map((m) => decodeURIComponent(m[1]))) {
    await fs.access(path.resolve(reports, link));
  }
  const before = JSON.parse(await fs.readFile(path.join(reports, `${REPORT}.json`), 'utf8'));
  const weightsFile = path.join(ws, 'vectortune', 'heads', 'hat', 'classifier.weights.json');
  const weights103 = await fs.readFile(weightsFile);

  // Two more rounds change the head; the second report shows each metric's change and gates on the AP drop.
  tune(2);
  const second = cli(ws, 'eval', 'hat', ...EVAL_TEST_SPLIT, '--max-drop', '0.0');
  const after = JSON.parse(await fs.readFile(path.join(reports, `${REPORT}.json`), 'utf8'));
  const apBefore: number = before.metrics.averagePrecision;
  const apAfter: number = after.metrics.averagePrecision;
  console.log(`clothing hat: test AP ${apBefore.toFixed(4)} after 103 labels, ${apAfter.toFixed(4)} after 123`);
  assert.equal(after.head.labelsCount, 123);
  assert.equal(after.comparison.previous.weightsSha256, weightsSha);
  const delta = apAfter - apBefore;
  const signed = Number(delta.toFixed(4)) === 0 ? '±0' : `${delta > 0 ? '+' : '−'}${Math.abs(delta).toFixed(4)}`;
  md = await fs.readFile(path.join(reports, `${REPORT}.md`), 'utf8');
  assert.ok(md.includes(`| average precision | ${apAfter.toFixed(4)} | ${signed} |`), md);
  assert.equal(printed(second.stdout, 'average precision'), apAfter.toFixed(4));
  assert.ok(second.stdout.includes(`(${signed})`), second.stdout);
  if (apAfter < apBefore) {
    assert.equal(second.status, 1, 'a drop beyond 0.0 fails the gate');
    assert.match(
      second.stderr,
      /gate failed: average precision dropped by [\d.]+ \(from [\d.]+ to [\d.]+\), more than the allowed 0/,
    );
  } else {
    assert.equal(second.status, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /gate failed/);
  }

  // Checking out the older weights (as a bad commit would) is a certain drop against the report just written.
  await fs.writeFile(weightsFile, weights103);
  const dropped = cli(ws, 'eval', 'hat', ...EVAL_TEST_SPLIT, '--max-drop', '0.05');
  if (apAfter - apBefore > 0.05) {
    assert.equal(dropped.status, 1);
    const expected = `dropped by ${(apAfter - apBefore).toFixed(4)} (from ${apAfter.toFixed(4)} to ${apBefore.toFixed(4)}), more than the allowed 0.05.`;
    assert.ok(dropped.stderr.includes(`vector-tune eval: gate failed: average precision ${expected}`), dropped.stderr);
    // The failing run is written beside the baseline, not over it: running eval again fails again.
    assert.match(dropped.stdout, new RegExp(`^report: .*${REPORT}-failed\\.md$`, 'm'));
    assert.equal(
      cli(ws, 'eval', 'hat', ...EVAL_TEST_SPLIT, '--max-drop', '0.05').status,
      1,
      'a re-run cannot wash the regression away',
    );
  } else {
    assert.equal(dropped.status, 0, dropped.stderr);
  }

  // A bound this head cannot meet: exit 1, each failed gate named on stderr; the report is still written.
  const strict = cli(ws, 'eval', 'hat', ...EVAL_TEST_SPLIT, '--min-ap', '0.99', '--min-auc', '0.5');
  assert.equal(strict.status, 1);
  assert.match(
    strict.stderr,
    /^vector-tune eval: gate failed: average precision 0\.\d{4} is below the minimum 0\.99\.$/m,
  );
  assert.doesNotMatch(strict.stderr, /ROC-AUC/, 'the ROC-AUC gate passed');
  assert.match(strict.stdout, /^report: /m);

  const bad = cli(ws, 'eval', 'hat', ...EVAL_TEST_SPLIT, '--min-ap', 'high');
  assert.equal(bad.status, 2, 'a value that is not a number is a usage error');
  assert.match(bad.stderr, /--min-ap "high" is not a valid number/);
});

let modelDir: string;
before(async () => {
  modelDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'vt-model-')), 'tiny');
  await generateClipModel(modelDir);
});

test('eval on a folder of class sub-folders (generated CLIP model): counts, and thumbnails linking the real photos', async (t) => {
  const ws = await tempDir(t);
  const counts = { hat: 12, dress: 15, shoes: 15 };
  for (const [cls, n] of Object.entries(counts)) {
    const src = path.join(PHOTOS, 'test', cls);
    await fs.mkdir(path.join(ws, 'held-out', cls), { recursive: true });
    for (const name of (await fs.readdir(src)).sort().slice(0, n))
      await fs.copyFile(path.join(src, name), path.join(ws, 'held-out', cls, name));
  }
  const model = ['--model', modelDir, '--offline'];
  ok(ws, 'index', 'held-out', ...model);
  const hats = (await fs.readdir(path.join(ws, 'held-out', 'hat')))
    .sort()
    .slice(0, 2)
    .map((n) => `held-out/hat/${n}`);
  ok(ws, 'start', 'hat', '--examples', hats.join(','));

  const out = ok(ws, 'eval', 'hat', '--folder', 'held-out', '--positive', 'hat', ...model);
  // The two example hats are the head's labels: left out, as VS Code's Evaluate leaves them out.
  assert.match(out, /on images in held-out\/; 2 records the head was trained on left out: 40 records/);
  assert.equal(printed(out, 'records with an answer'), '40');
  assert.equal(printed(out, 'positives'), '10');
  const reports = path.join(ws, 'vectortune', 'heads', 'hat', 'reports');
  const json = JSON.parse(await fs.readFile(path.join(reports, 'eval-held-out-hat.json'), 'utf8'));
  assert.deepEqual([json.metrics.n, json.metrics.positives, json.metrics.negatives], [40, 10, 30]);
  assert.equal(json.model.id, 'vector-tune/generated-clip-tiny');
  assert.equal(json.truth.description, 'sub-folder "hat" of held-out/');
  assert.equal(json.head.labelsCount, 2);
  const c = json.metrics.atDecision.confusion;
  assert.equal(c.tp + c.fp + c.tn + c.fn, 40);

  const md = await fs.readFile(path.join(reports, 'eval-held-out-hat.md'), 'utf8');
  // Each listed photo: its thumbnail (written beside the report), linking the photo itself.
  const rows = [...md.matchAll(/<a href="([^"]+)"><img src="([^"]+)" width="96"/g)].map((m) =>
    m.slice(1).map(decodeURIComponent),
  );
  assert.equal(rows.length, json.falsePositives.length + json.falseNegatives.length);
  assert.ok(rows.length > 0);
  for (const [photo, thumbnail] of rows) {
    assert.match(photo, /^\.\.\/\.\.\/\.\.\/\.\.\/held-out\/(hat|dress|shoes)\/[^/]+\.jpg$/);
    assert.match(thumbnail, /^eval-held-out-hat-thumbs\/[0-9a-f]{16}\.jpg$/);
    for (const link of [photo, thumbnail]) assert.ok((await fs.stat(path.resolve(reports, link))).isFile(), link);
  }

  // The store holds the same images embedded by the same model: the same figures, without re-embedding.
  const fromStore = ok(ws, 'eval', 'hat', '--positive', 'hat');
  assert.equal(printed(fromStore, 'average precision'), printed(out, 'average precision'));

  assert.match(ok(ws, 'eval', '--help'), /^vector-tune eval <head-name>[\s\S]*--max-drop/);
  const both = cli(ws, 'eval', 'hat', '--folder', 'held-out', '--npy', NPY);
  assert.equal(both.status, 2, 'options that exclude each other are a usage error');
  assert.match(both.stderr, /give either --folder or --npy/);
});
