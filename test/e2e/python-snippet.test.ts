import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../src/core/io/csv';
import { cliOk } from '../helpers/cli';
import { runPython } from '../helpers/python';
import { REPO_ROOT, sharedData, tempDir } from '../helpers/temp';

/**
 * The README's Python snippet is examples/python/head_logits.py, word for word, and it reproduces
 * `vector-tune rank`'s logits on real imported embeddings: the clothing MobileNetV2 features imported with
 * --centre (the head's centre is applied), and CIFAR-10's float16 features without.
 */
const SNIPPET = path.join(REPO_ROOT, 'examples', 'python', 'head_logits.py');
/** rank --out writes six decimals. */
const TOLERANCE = 1e-6;

test("the README's Python snippet is examples/python/head_logits.py", async () => {
  const readme = await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const marker = '<!-- examples/python/head_logits.py, included word for word (a test checks) -->';
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `the README has the marker ${marker}`);
  const block = /^```python\n([\s\S]*?)^```$/m.exec(readme.slice(at));
  assert.ok(block, 'a python block follows the marker');
  assert.equal(block[1], await fs.readFile(SNIPPET, 'utf8'));
});

const DATASETS = [
  {
    name: 'clothing',
    npy: 'clothing-mobilenetv2',
    importArgs: ['--where', 'split=train', '--centre'],
    positive: 'hat',
  },
  { name: 'cifar10', npy: 'cifar10-test-mobilenetv2', importArgs: [], positive: 'ship' },
];

for (const data of DATASETS) {
  test(`the snippet gives vector-tune rank's logits for a ${data.name} head (${data.importArgs.includes('--centre') ? 'centred' : 'not centred'})`, async (t) => {
    const ws = await tempDir(t);
    const npy = sharedData('embeddings', `${data.npy}.npy`);
    const csv = sharedData('embeddings', `${data.npy}.csv`);
    cliOk(ws, 'import', npy, '--csv', csv, '--model-id', 'nsfwjs-mobilenetv2', ...data.importArgs);
    const table = parseCsv(await fs.readFile(csv, 'utf8'), csv);
    const [pathAt, labelAt, splitAt] = ['path', 'label', 'split'].map((c) => table.header.indexOf(c));
    // From the rows imported (clothing: the train split only).
    const examples = table.rows
      .filter((r) => r[labelAt] === data.positive && (splitAt < 0 || r[splitAt] === 'train'))
      .slice(0, 3)
      .map((r) => r[pathAt]);
    cliOk(ws, 'start', data.positive, '--examples', examples.join(','));
    const answers = ['--answers', csv, '--label-column', 'label', '--positive', data.positive];
    cliOk(ws, 'tune', data.positive, ...answers, '--rounds', '4', '--batch', '10');
    cliOk(ws, 'rank', data.positive, '--npy', npy, '--csv', csv, '--top', '0', '--out', 'ranked.csv');

    const ranked = parseCsv(await fs.readFile(path.join(ws, 'ranked.csv'), 'utf8'), 'ranked.csv');
    const byId = new Map(ranked.rows.map((r) => [r[1], Number(r[2])]));
    const weights = path.join(ws, 'vectortune', 'heads', data.positive, 'classifier.weights.json');
    const centre = JSON.parse(await fs.readFile(weights, 'utf8')).preprocessing.centre;
    assert.equal(centre !== null, data.importArgs.includes('--centre'));
    const python = runPython([SNIPPET, weights, npy]);
    assert.equal(python.status, 0, python.stderr);
    const logits = python.stdout.trim().split('\n').map(Number);
    assert.equal(logits.length, table.rows.length, 'one logit per row of the .npy');
    let largest = 0;
    table.rows.forEach((row, i) => {
      largest = Math.max(largest, Math.abs(logits[i] - byId.get(row[pathAt])!));
    });
    console.log(`  ${data.name}: ${logits.length} rows, largest |python - rank| ${largest.toExponential(2)}`);
    assert.ok(largest <= TOLERANCE, `largest difference ${largest}`);
  });
}
