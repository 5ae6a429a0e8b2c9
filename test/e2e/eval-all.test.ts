import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { cli, cliOk } from '../helpers/cli';
import { CLOTHING_HEADS_CSV, CLOTHING_HEADS_NPY, trainClothingHeads } from '../helpers/clothing-heads';

/**
 * `vector-tune eval --all` on the real clothing features: two heads trained by the loop (hat, skirt), each
 * evaluated on the held-out split with its own name as the positive class; one summary; gates fail by head.
 */
const [NPY, CSV] = [CLOTHING_HEADS_NPY, CLOTHING_HEADS_CSV];
const HELD_OUT = ['--npy', NPY, '--csv', CSV, '--where', 'split=test', '--label-column', 'label'];

let tmp: string;
let ws: string;
const ap: Record<string, number> = {};

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-eval-all-'));
  ws = path.join(tmp, 'ws');
  await fs.mkdir(ws);
  await trainClothingHeads((...args) => cliOk(ws, ...args), ['hat', 'skirt'], 5);
  for (const head of ['hat', 'skirt']) {
    // The single-head path, whose figures --all must repeat.
    const one = cliOk(ws, 'eval', head, ...HELD_OUT, '--positive', head, '--report-name', 'single');
    ap[head] = Number(/^ {2}average precision +(\S+)/m.exec(one)![1]);
  }
  assert.notEqual(ap.hat, ap.skirt);
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

/** The summary's row of a head: [head, AP, change, ROC-AUC, records, result]. */
function summaryRow(stdout: string, head: string): string[] {
  const summary = stdout.slice(stdout.indexOf('== summary'));
  const line = summary.split('\n').find((l) => l.startsWith(`  ${head} `));
  assert.ok(line, `a summary row for ${head} in:\n${summary}`);
  const cells = line.trim().split(/ {2,}/);
  return [...cells.slice(0, 5), cells.slice(5).join('  ')];
}

test('every head is evaluated with its own name as the positive class; one summary; exit 0 when all pass', () => {
  const r = cli(ws, ['eval', '--all', ...HELD_OUT, '--min-ap', '0.01', '--summary', 'out/summary.md']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^== hat$/m);
  assert.match(r.stdout, /^== skirt$/m);
  assert.match(r.stdout, /^== summary: 2 heads$/m);
  for (const head of ['hat', 'skirt']) {
    const [, headAp, , , records, result] = summaryRow(r.stdout, head);
    assert.equal(Number(headAp), ap[head], `${head}: the same AP as eval ${head}`);
    assert.equal(records, '372');
    assert.equal(result, 'passed');
  }
  return fs.readFile(path.join(ws, 'out', 'summary.md'), 'utf8').then((md) => {
    assert.match(
      md,
      /\| `hat` \| [\d.]+ \| – \| [\d.]+ \| 372 \| passed \| \[eval-clothing-mobilenetv2-split-test-hat\.md\]\(\.\.\/vectortune\/heads\/hat\/reports\/eval-clothing-mobilenetv2-split-test-hat\.md\) \|/,
    );
  });
});

test('a gate one head fails: exit 1 naming that head only, its row says why, the other passes', () => {
  const between = ((ap.hat + ap.skirt) / 2).toFixed(4);
  const [low, high] = ap.hat < ap.skirt ? ['hat', 'skirt'] : ['skirt', 'hat'];
  const r = cli(ws, ['eval', '--all', ...HELD_OUT, '--min-ap', between]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`eval --all: 1 of 2 heads failed: ${low}\\.$`, 'm'));
  assert.match(
    summaryRow(r.stdout, low)[5],
    new RegExp(`^FAILED: average precision [\\d.]+ is below the minimum ${between}`),
  );
  assert.equal(summaryRow(r.stdout, high)[5], 'passed');
  // A run after a failure compares with the committed baseline again (the failed run was written aside).
  assert.equal(summaryRow(r.stdout, high)[2], '±0');
});

test('a head that cannot be evaluated is named, and the others are still evaluated', async () => {
  const broken = path.join(ws, 'vectortune', 'heads', 'broken');
  await fs.mkdir(broken, { recursive: true });
  await fs.writeFile(path.join(broken, 'classifier.weights.json'), '{"format": "vector-tune-head", ');
  try {
    const r = cli(ws, ['eval', '--all', ...HELD_OUT]);
    assert.equal(r.status, 1);
    assert.match(
      summaryRow(r.stdout, 'broken')[5],
      /^ERROR: .*broken\/classifier\.weights\.json: the weights file is not valid JSON/,
    );
    assert.equal(summaryRow(r.stdout, 'hat')[5], 'passed');
    assert.match(r.stderr, /eval --all: 1 of 3 heads failed: broken\.$/m);
  } finally {
    await fs.rm(broken, { recursive: true });
  }
});

test('--positive-of maps a head to a class of another name; usage errors exit 2', async () => {
  const heads = path.join(ws, 'vectortune', 'heads');
  await fs.rename(path.join(heads, 'hat'), path.join(heads, 'hat-v2'));
  try {
    const unmapped = cli(ws, ['eval', '--all', ...HELD_OUT]);
    assert.equal(unmapped.status, 1);
    assert.match(
      summaryRow(unmapped.stdout, 'hat-v2')[5],
      /^ERROR: .*no line has "hat-v2" in the column "label"; its values are .*"hat"/,
    );
    const mapped = cli(ws, ['eval', '--all', ...HELD_OUT, '--positive-of', 'hat-v2=hat']);
    assert.equal(mapped.status, 0, mapped.stderr);
    assert.equal(Number(summaryRow(mapped.stdout, 'hat-v2')[1]), ap.hat);
  } finally {
    await fs.rename(path.join(heads, 'hat-v2'), path.join(heads, 'hat'));
  }
  for (const args of [
    ['hat', '--all'],
    ['--all', '--positive', 'hat'],
    ['--all', '--positive-of', 'hat'],
    ['--all', '--positive-of', 'dog=hat'],
  ]) {
    const r = cli(ws, ['eval', ...args, ...HELD_OUT]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});
