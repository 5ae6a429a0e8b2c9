import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { cli, cliOk } from '../helpers/cli';
import { CLOTHING_CSV, CLOTHING_NPY, IMPORT_CLOTHING_TRAIN, tuneHatArgs } from '../helpers/clothing-features';
import { REPO_ROOT, tempDir } from '../helpers/temp';
import { generateClipModel } from '../../tools/generate-model/generate';

/**
 * The held-out AP trend through the built CLI on the real clothing features: `held-out` sets the test split as the
 * hat head's held-out set, `tune --eval-every 2` prints its AP every 2 rounds, and `eval` of the committed head on
 * the same data gives the same AP at those rounds.
 */
const HELD_OUT = ['--npy', CLOTHING_NPY, '--csv', CLOTHING_CSV, '--where', 'split=test', '--label-column', 'label'];

function printedAp(out: string, round: number): number {
  const m = new RegExp(
    `held-out AP (\\d\\.\\d{4}), ROC-AUC \\d\\.\\d{4} \\(round ${round}: 372 records, 12 positive; \\d+ ms\\)`,
  ).exec(out);
  assert.ok(m, `round ${round}'s held-out line in:\n${out}`);
  return Number(m[1]);
}

function evalAp(cwd: string): number {
  const out = cliOk(cwd, 'eval', 'hat', ...HELD_OUT, '--positive', 'hat', '--no-thumbnails');
  const m = /average precision\s+(\d\.\d{4})/i.exec(out);
  assert.ok(m, out);
  return Number(m[1]);
}

test('tune --eval-every prints the held-out AP that eval gives for the same head and data', async (t) => {
  const cwd = await tempDir(t);
  const lines = (await fs.readFile(CLOTHING_CSV, 'utf8')).split('\n');
  const hats = lines.filter((l) => l.includes(',train,hat')).map((l) => l.split(',')[1]);
  cliOk(cwd, ...IMPORT_CLOTHING_TRAIN);
  cliOk(cwd, 'start', 'hat', '--examples', hats.slice(0, 3).join(','));
  const headDir = path.join(cwd, 'vectortune', 'heads', 'hat');

  assert.match(cliOk(cwd, 'held-out', 'hat'), /head "hat" has no held-out set/);
  const typo = cli(cwd, ['held-out', 'hat', ...HELD_OUT, '--positive', 'hats']);
  assert.equal(typo.status, 1);
  assert.match(
    typo.stderr,
    /held-out\.json: held-out set: .*no line has "hats" in the column "label".*Did you mean --positive hat\?/,
  );
  await assert.rejects(fs.stat(path.join(headDir, 'held-out.json')), 'a refused set is not written');
  assert.match(
    cliOk(cwd, 'held-out', 'hat', ...HELD_OUT, '--positive', 'hat'),
    /wrote .*held-out\.json: label = hat in/,
  );
  const stored = JSON.parse(await fs.readFile(path.join(headDir, 'held-out.json'), 'utf8'));
  assert.equal(path.resolve(headDir, stored.npy), CLOTHING_NPY, 'paths are relative to the head folder');

  const first = cliOk(cwd, ...tuneHatArgs('--rounds', '2', '--batch', '10', '--eval-every', '2'));
  assert.match(first, /held-out set: label = hat in .* \(372 records\), measured every 2 rounds/);
  assert.doesNotMatch(first, /round 1: 372 records/, 'round 1 is not measured');
  assert.equal(printedAp(first, 2), evalAp(cwd));
  const second = cliOk(cwd, ...tuneHatArgs('--rounds', '2', '--batch', '10', '--eval-every', '2'));
  assert.equal(printedAp(second, 4), evalAp(cwd));
  assert.doesNotMatch(cliOk(cwd, ...tuneHatArgs('--rounds', '2', '--eval-every', '0')), /held-out/);

  // A broken held-out.json stops tune before its first round, naming the file; the labels are untouched.
  const labels = await fs.readFile(path.join(headDir, 'labels.jsonl'), 'utf8');
  await fs.writeFile(
    path.join(headDir, 'held-out.json'),
    '{"format":"vector-tune-held-out","version":1,"kind":"folder"',
  );
  const broken = cli(cwd, tuneHatArgs('--rounds', '2', '--eval-every', '2'));
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /held-out\.json: is not valid JSON.*vector-tune held-out hat/);
  assert.equal(await fs.readFile(path.join(headDir, 'labels.jsonl'), 'utf8'), labels);
  assert.match(cliOk(cwd, 'held-out', 'hat', '--clear'), /removed/);
  assert.doesNotMatch(cliOk(cwd, ...tuneHatArgs('--rounds', '2', '--eval-every', '1')), /held-out/);
});

test("a held-out folder: embedded once by tune with the head's model, the AP eval --folder gives (generated model)", async (t) => {
  const cwd = await tempDir(t);
  const samples = path.join(REPO_ROOT, 'samples', 'clothing');
  await fs.cp(path.join(samples, 'images'), path.join(cwd, 'images'), { recursive: true });
  await fs.cp(path.join(samples, 'images'), path.join(cwd, 'held-out'), { recursive: true });
  await generateClipModel(path.join(cwd, 'model'));
  const model = ['--model', './model', '--offline'];
  cliOk(cwd, 'index', 'images', ...model);
  const hats = (await fs.readdir(path.join(cwd, 'images', 'hat'))).slice(0, 2).map((f) => `images/hat/${f}`);
  cliOk(cwd, 'start', 'hat', '--examples', hats.join(','));
  const typo = cli(cwd, ['held-out', 'hat', '--folder', 'held-out', '--positive', 'hats']);
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /held-out: has no sub-folder "hats"\. The class folders are: dress, hat, /);
  cliOk(cwd, 'held-out', 'hat', '--folder', 'held-out', '--positive', 'hat');
  const answers = ['--answers', path.join(samples, 'labels.csv'), '--label-column', 'label', '--positive', 'hat'];
  const r = cli(cwd, ['tune', 'hat', ...answers, '--rounds', '2', '--batch', '4', '--eval-every', '2', ...model]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.match(/^model: /gm)?.length, 1, 'the model is loaded once, to embed the held-out images');
  const m = /held-out AP (\d\.\d{4}), ROC-AUC \d\.\d{4} \(round 2: 48 records, 12 positive; \d+ ms\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const evaluated = cliOk(cwd, 'eval', 'hat', '--folder', 'held-out', '--positive', 'hat', '--no-thumbnails', ...model);
  assert.equal(Number(/average precision\s+(\d\.\d{4})/i.exec(evaluated)![1]), Number(m[1]));
});
