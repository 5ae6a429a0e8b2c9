import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { cli } from '../helpers/cli';
import { assertWeightsReplayLabels } from '../helpers/replay-check';
import { sharedData, tempDir } from '../helpers/temp';

/**
 * labels.jsonl edited between `tune` runs, and `labels` changing it, through the built CLI on real features
 * (MobileNetV2 clothing embeddings): after every step the weights are a replay of the file.
 */
const NPY = sharedData('embeddings', 'clothing-mobilenetv2.npy');
const CSV = sharedData('embeddings', 'clothing-mobilenetv2.csv');
const HEAD = path.join('vectortune', 'heads', 'hat');

function ok(cwd: string, ...args: string[]): { stdout: string; stderr: string } {
  const r = cli(cwd, args);
  assert.equal(r.status, 0, `vector-tune ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r;
}

const tuneArgs = ['tune', 'hat', '--answers', CSV, '--label-column', 'label', '--positive', 'hat', '--batch', '10'];

async function hatHead(t: Parameters<typeof tempDir>[0]) {
  const cwd = await tempDir(t);
  const csv = await fs.readFile(CSV, 'utf8');
  const hats = csv
    .split('\n')
    .filter((l) => l.includes(',train,hat'))
    .slice(0, 3)
    .map((l) => l.split(',')[1]);
  ok(cwd, 'import', NPY, '--csv', CSV, '--model-id', 'nsfwjs-mobilenetv2', '--where', 'split=train', '--centre');
  ok(cwd, 'start', 'hat', '--examples', hats.join(','), '--by', 'starter@example.com');
  const labels = path.join(cwd, HEAD, 'labels.jsonl');
  const check = async (why: string) => {
    const store = await EmbeddedStore.open(path.join(cwd, '.vectortune', 'store'));
    try {
      await assertWeightsReplayLabels(path.join(cwd, HEAD), store, why);
    } finally {
      await store.close();
    }
  };
  const lines = async () => (await fs.readFile(labels, 'utf8')).split('\n').filter((l) => l !== '');
  return { cwd, labels, check, lines };
}

test('tune after labels.jsonl was edited, cut, appended to or replaced: weights are always a replay of the file', async (t) => {
  const { cwd, labels, check, lines } = await hatHead(t);
  ok(cwd, ...tuneArgs, '--rounds', '2', '--no-by');
  await check('after two rounds');
  assert.ok(
    (await lines()).slice(3).every((l) => !('by' in JSON.parse(l))),
    '--no-by records no annotator',
  );
  assert.equal(JSON.parse((await lines())[0]).by, 'starter@example.com', 'start --by is recorded on the examples');

  const edits: [string, (l: string[]) => string[]][] = [
    ['a score edited', (l) => l.map((x, i) => (i === 5 ? x.replace(/"score":(-?)1/, '"score":$10.5') : x))],
    ['lines deleted', (l) => [...l.slice(0, 4), ...l.slice(12)]],
    ['a line appended', (l) => [...l, JSON.stringify({ id: JSON.parse(l[8]).id, score: -1, round: 1, time: 't' })]],
    ['the file replaced by its first 3 lines', (l) => l.slice(0, 3)],
  ];
  for (const [what, edit] of edits) {
    await fs.writeFile(labels, edit(await lines()).join('\n') + '\n');
    const expected = (await fs.readFile(labels, 'utf8')).split('\n').filter((l) => l !== '').length;
    const run = ok(cwd, ...tuneArgs, '--rounds', '1', '--by', 'cli@example.com');
    assert.match(run.stderr, /repaired head "hat": retrained from \d+ labels/, `${what}: the user is told`);
    assert.equal((await lines()).length, expected + 10, `${what}: one round of 10 appended to the edited file`);
    await check(what);
  }
  assert.equal(JSON.parse((await lines()).at(-1)!).by, 'cli@example.com');
});

test('labels lists, relabels and removes; rebuild rewrites the weights; conflict markers name what to run', async (t) => {
  const { cwd, labels, check, lines } = await hatHead(t);
  ok(cwd, ...tuneArgs, '--rounds', '3');
  const listed = ok(cwd, 'labels', 'hat', '--disagreements').stdout.trim().split('\n');
  assert.equal(listed[0], 'round\tscore\thead p\tdisagree\tby\tid');
  assert.equal(listed.length, 1 + 33);
  const disagreement = listed.slice(1).map((row) => Number(row.split('\t')[3]));
  assert.deepEqual(
    disagreement,
    [...disagreement].sort((a, b) => b - a),
    'most contradicted first',
  );
  const [, worst, second] = listed.map((row) => row.split('\t'));
  const before = await lines();
  const changed = ok(
    cwd,
    'labels',
    'hat',
    '--set',
    `${worst[5]}=${-Number(worst[1])}`,
    '--remove',
    second[5],
    '--by',
    'rev@x',
  );
  assert.match(changed.stdout, /changed 1, removed 1 label\(s\) of "hat": retrained from 32 labels in \d+ ms/);
  const after = await lines();
  assert.deepEqual(after.slice(0, before.length), before, 'append-only');
  const fields = ({ id, score, round, removed, by }: Record<string, unknown>) => ({ id, score, round, removed, by });
  assert.deepEqual(
    after.slice(before.length).map((l) => fields(JSON.parse(l))),
    [
      { id: worst[5], score: -Number(worst[1]), round: 4, removed: undefined, by: 'rev@x' },
      { id: second[5], score: 0, round: 4, removed: true, by: 'rev@x' },
    ],
  );
  await check('after labels --set and --remove');
  const relisted = ok(cwd, 'labels', 'hat').stdout;
  assert.ok(!relisted.includes(`\t${second[5]}\n`), 'the removed label is not listed');
  assert.match(
    relisted,
    new RegExp(`\\t${-Number(worst[1])}\\t[^\\n]*\\trev@x\\t${worst[5].replace(/[.]/g, '\\.')}\\n`),
  );

  const bad = cli(cwd, ['labels', 'hat', '--set', 'nope.jpg=1']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /cannot change the label of "nope.jpg": the head has never labelled it/);
  assert.equal(cli(cwd, ['labels', 'hat', '--set', `${worst[5]}=7`]).status, 2);

  // A merge that left both files conflicted (as without the head's .gitattributes).
  const weightsFile = path.join(cwd, HEAD, 'classifier.weights.json');
  const weights = await fs.readFile(weightsFile, 'utf8');
  const theirs = weights.replace(/"b": [^,]+,/, '"b": 0.125,');
  await fs.writeFile(weightsFile, `<<<<<<< HEAD\n${weights}=======\n${theirs}>>>>>>> other\n`);
  const mine = await lines();
  const other = JSON.stringify({ id: listed[5].split('\t')[5], score: 1, round: 2, time: 'theirs' });
  await fs.writeFile(
    labels,
    [...mine.slice(0, -1), '<<<<<<< HEAD', mine.at(-1), '=======', other, '>>>>>>> other', ''].join('\n'),
  );
  const refused = cli(cwd, tuneArgs);
  assert.equal(refused.status, 1);
  assert.match(
    refused.stderr,
    /classifier\.weights\.json has unresolved git merge conflict markers \(line 1\).*Run "vector-tune rebuild hat"/s,
  );
  const refusedLabels = cli(cwd, ['labels', 'hat']);
  assert.match(refusedLabels.stderr, /has unresolved git merge conflict markers/);
  const rebuilt = ok(cwd, 'rebuild', 'hat');
  assert.match(rebuilt.stdout, /rebuilt "hat" from \d+ labels \(36 lines\)/);
  assert.match(rebuilt.stderr, /kept the labels of both sides/);
  assert.deepEqual(await lines(), [...mine, other], 'both sides of the labels are kept');
  await check('after rebuild resolved a merge conflict');
  assert.match(await fs.readFile(path.join(cwd, HEAD, '.gitattributes'), 'utf8'), /^labels\.jsonl merge=union$/m);
});
