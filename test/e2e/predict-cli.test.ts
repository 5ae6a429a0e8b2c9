import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { parquetReadObjects } from 'hyparquet';
import { calibratedProbability, fitCalibration } from '../../src/core/calibration/calibration';
import { type ClipEncoder, loadClip } from '../../src/core/embed/clip';
import { readWeights, writeWeights } from '../../src/core/head/weights-file';
import { parseCsv } from '../../src/core/io/csv';
import { cli, cliOk } from '../helpers/cli';
import { engineLogits, makeTrainedHeads } from '../helpers/trained-heads';

/**
 * `vector-tune predict` through the built CLI on the sample photos (with a broken file among them) and heads
 * trained by the loop: one row per readable image, per head the engine's logit, its sigmoid and the decision
 * at the chosen threshold; the broken file is listed and the run goes on; CSV, JSON Lines and Parquet.
 */
let tmp: string;
let ws: string;
let modelDir: string;
let encoder: ClipEncoder;
let engine: Map<string, Map<string, number>>;
let bestF1: number;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-predict-'));
  ({ ws, modelDir } = await makeTrainedHeads(tmp));
  await fs.writeFile(path.join(ws, 'images', 'hat', 'broken.jpg'), 'not a jpeg');
  encoder = await loadClip(modelDir);
  engine = await engineLogits(ws, path.join(ws, 'images'), encoder, ['hat', 'skirt']);
  const report = JSON.parse(
    await fs.readFile(path.join(ws, 'vectortune/heads/hat/reports/eval-images-hat.json'), 'utf8'),
  );
  bestF1 = report.metrics.atBestF1.threshold;
});

after(async () => {
  await encoder?.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

type Row = Record<string, string | number | boolean>;

/** vector-tune predict of these heads on the photos into `out`, with the generated model unless told otherwise. */
const predict = (heads: string, out: string, ...more: string[]) =>
  cli(ws, [
    'predict',
    '--heads',
    heads,
    '--folder',
    'images',
    '--out',
    out,
    ...(more.length ? more : ['--model', modelDir]),
  ]);

/** Checks every row against the engine: logit, probability, decision; returns the largest logit difference. */
function checkRows(rows: Row[], thresholds: Record<string, number>): number {
  assert.equal(rows.length, engine.size, 'one row per readable image');
  let largest = 0;
  for (const row of rows) {
    const expected = engine.get(String(row.path));
    assert.ok(expected, `${String(row.path)} is one of the photos`);
    for (const [head, threshold] of Object.entries(thresholds)) {
      const logit = Number(row[`${head}_logit`]);
      largest = Math.max(largest, Math.abs(logit - expected.get(head)!));
      assert.ok(Math.abs(Number(row[`${head}_probability`]) - 1 / (1 + Math.exp(-logit))) < 1e-6);
      assert.equal(
        String(row[`${head}_positive`]),
        String(expected.get(head)! > threshold),
        `${String(row.path)} ${head}`,
      );
    }
  }
  return largest;
}

test('CSV: a row per readable image with each head, the broken file listed, the run not stopped', () => {
  const r = predict('hat,skirt', 'out/predictions.csv');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /failed images\/hat\/broken\.jpg: not an image/);
  // The last progress line adds up with the summary: the failed file is not counted as predicted.
  assert.match(r.stderr, /^read 49\/49 images: 48 predicted, 1 failed \([\d.]+ images\/s\)$/m);
  assert.match(r.stdout, /predicted 48 of 49 images with hat, skirt -> out\/predictions\.csv \(1 failed/);
  return fs.readFile(path.join(ws, 'out', 'predictions.csv'), 'utf8').then((text) => {
    const csv = parseCsv(text, 'predictions.csv');
    assert.deepEqual(csv.header, [
      'path',
      'hat_logit',
      'hat_probability',
      'hat_positive',
      'skirt_logit',
      'skirt_probability',
      'skirt_positive',
    ]);
    const rows = csv.rows.map((fields) => Object.fromEntries(csv.header.map((h, i) => [h, fields[i]])));
    assert.ok(checkRows(rows, { hat: 0, skirt: 0 }) < 1e-6, 'six decimals of the engine logit');
  });
});

test("JSON Lines at the best-F1 threshold of the head's last report", async () => {
  const run = predict('hat', 'p.jsonl', '--threshold', 'best-f1', '--model', modelDir);
  assert.equal(run.status, 0, run.stderr);
  const stdout = run.stdout;
  assert.match(
    stdout,
    new RegExp(`hat: positive above ${bestF1.toFixed(4).replace('.', '\\.')} \\(best F1 of report eval-images-hat\\)`),
  );
  const rows = (await fs.readFile(path.join(ws, 'p.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
  assert.ok(checkRows(rows, { hat: bestF1 }) < 1e-9, 'JSON keeps the full float64 logit');
  assert.ok(rows.some((r) => r.hat_positive === true) && rows.some((r) => r.hat_positive === false));
});

test('Parquet, read back with hyparquet', async () => {
  cliOk(ws, 'predict', '--heads', 'skirt,hat', '--folder', 'images', '--out', 'p.parquet', '--model', modelDir);
  const bytes = await fs.readFile(path.join(ws, 'p.parquet'));
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const rows = (await parquetReadObjects({ file })) as Row[];
  assert.deepEqual(Object.keys(rows[0]), [
    'path',
    'skirt_logit',
    'skirt_probability',
    'skirt_positive',
    'hat_logit',
    'hat_probability',
    'hat_positive',
  ]);
  assert.equal(typeof rows[0].hat_positive, 'boolean');
  assert.ok(checkRows(rows, { hat: 0, skirt: 0 }) < 1e-9);
});

test('refused before the model loads: best-f1 without a report, an unknown format; usage errors exit 2', () => {
  const noReport = predict('hat,skirt', 'x.csv', '--threshold', 'best-f1', '--model', modelDir);
  assert.equal(noReport.status, 1);
  assert.match(
    noReport.stderr,
    /the head "skirt" has no report of its current weights with a best-F1 threshold\. Evaluate it/,
  );
  assert.doesNotMatch(noReport.stderr, /^model:/m, 'the model was not loaded');
  const format = predict('hat', 'x.xlsx', '--offline');
  assert.equal(format.status, 1);
  assert.match(format.stderr, /x\.xlsx: the predictions file must end in \.csv, \.jsonl or \.parquet/);
  const missingFolder = cli(ws, [
    'predict',
    '--heads',
    'hat',
    '--folder',
    'nowhere',
    '--out',
    'x.csv',
    '--model',
    modelDir,
  ]);
  assert.equal(missingFolder.status, 1);
  assert.match(missingFolder.stderr, /nowhere: no such folder to predict/);
  for (const args of [
    ['--folder', 'images', '--out', 'x.csv'],
    ['--heads', 'hat', '--out', 'x.csv'],
    ['--heads', 'hat', '--folder', 'images', '--out', 'x.csv', '--threshold', 'half'],
  ]) {
    const r = cli(ws, ['predict', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  return fs
    .readdir(ws)
    .then((names) =>
      assert.ok(!names.some((n) => n.startsWith('x.') || n.startsWith('.x.')), 'no file and no temporary left'),
    );
});

test('a calibrated head: auto uses its calibrated threshold and probabilities; calibrated is refused for a head without', async () => {
  const file = path.join(ws, 'vectortune/heads/hat/classifier.weights.json');
  const weights = await readWeights(file);
  // A calibration fitted on audit logits of these weights (here a hand-made sample: only its use is tested).
  const logits = [-3, -2, -1.5, -1, -0.5, 0, 0.2, 0.5, 1, 2];
  const positive = [false, false, false, true, false, false, true, true, true, true];
  const calibration = fitCalibration(weights, logits, positive, {
    method: 'platt',
    rule: 'target-precision',
    target: 0.8,
    file: 'audit.jsonl',
  });
  await writeWeights(file, { ...weights, calibration });
  const r = predict('hat,skirt', 'out/calibrated.jsonl');
  assert.equal(r.status, 0, r.stderr);
  const t = calibration.threshold.logit;
  assert.ok(
    r.stdout.includes(`hat: positive above ${t.toFixed(4)} (calibrated on the audit sample (target-precision 0.8`),
    r.stdout,
  );
  assert.match(r.stdout, /skirt: positive above 0\.0000 \(logit 0\)/);
  const rows = (await fs.readFile(path.join(ws, 'out', 'calibrated.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
  assert.equal(rows.length, engine.size);
  for (const row of rows) {
    const logit = engine.get(String(row.path))!.get('hat')!;
    assert.equal(row.hat_positive, logit > t, String(row.path));
    assert.ok(Math.abs(Number(row.hat_probability) - calibratedProbability(calibration, Number(row.hat_logit))) < 1e-9);
    assert.ok(Math.abs(Number(row.skirt_probability) - 1 / (1 + Math.exp(-Number(row.skirt_logit)))) < 1e-9);
  }
  const refused = predict('skirt', 'out/x.csv', '--threshold', 'calibrated', '--model', modelDir);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /the head "skirt" has no calibration of its current weights\. Score its audit sample/);
});
