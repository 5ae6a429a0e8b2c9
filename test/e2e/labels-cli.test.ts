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

test('labels --annotators prints the pairwise kappa and the disagreements; --settle appends a settled line', async (t) => {
  const { cwd, check, lines } = await hatHead(t);
  ok(cwd, ...tuneArgs, '--rounds', '1', '--by', 'alice@x');
  const alice = (await lines()).map((l) => JSON.parse(l)).filter((l) => l.by === 'alice@x');
  assert.equal(alice.length, 10);
  // Bob scores six of Alice's images: the same on four, the opposite on one, undecided (0) on one.
  const bob = alice.slice(0, 6).map((l, i) => ({ id: l.id, score: i === 4 ? -l.score : i === 5 ? 0 : l.score }));
  ok(cwd, 'labels', 'hat', ...bob.flatMap((b) => ['--set', `${b.id}=${b.score}`]), '--by', 'bob@x');

  const printed = ok(cwd, 'labels', 'hat', '--annotators').stdout.split('\n');
  assert.equal(printed[0], 'annotators: alice@x, bob@x, starter@example.com');
  assert.equal(printed[1], 'annotator\tannotator\tshared\tweighted kappa');
  // The definition over every pairing (not the code's O(n) form): 1 - mean (a_i - b_i)^2 / mean (a_i - b_j)^2.
  const a = alice.slice(0, 6).map((l) => l.score as number);
  const b = bob.map((x) => x.score);
  const observed = a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0) / 6;
  const expected = a.reduce((s, x) => s + b.reduce((s2, y) => s2 + (x - y) ** 2, 0), 0) / 36;
  assert.equal(printed[2], `alice@x\tbob@x\t6\t${(1 - observed / expected).toFixed(2)}`);
  assert.equal(printed[3], 'alice@x\tstarter@example.com\t0\tn/a (0 shared)');
  assert.equal(printed[4], 'bob@x\tstarter@example.com\t0\tn/a (0 shared)');
  assert.equal(printed[5], 'disagreements: 2 (2 open, 0 settled)');
  const rows = printed.slice(7, 9).map((r) => r.split('\t'));
  assert.deepEqual(
    rows.map((r) => [r[0], r[1], r[3]]),
    [
      ['2.00', '', bob[4].id],
      ['1.00', '', bob[5].id],
    ],
    'largest disagreement first',
  );
  assert.match(rows[0][2], new RegExp(`alice@x ${a[4]} \\(round 1, [^)]+\\); bob@x ${b[4]} \\(round 2, `));

  const settledRun = ok(cwd, 'labels', 'hat', '--settle', `${bob[4].id}=0.5`, '--by', 'carol@x');
  assert.match(settledRun.stdout, /changed 0, removed 0, settled 1 label\(s\) of "hat"/);
  const last = JSON.parse((await lines()).at(-1)!);
  assert.deepEqual([last.id, last.score, last.by, last.settled], [bob[4].id, 0.5, 'carol@x', true]);
  await check('after --settle');
  const after = ok(cwd, 'labels', 'hat', '--annotators').stdout.split('\n');
  assert.equal(after[0], printed[0], 'the settler is no annotator of the record');
  assert.equal(after[2], printed[2], 'settling leaves the kappa as it is');
  assert.equal(after[5], 'disagreements: 2 (1 open, 1 settled)');
  assert.deepEqual(
    after.slice(7, 9).map((r) => [r.split('\t')[1], r.split('\t')[3]]),
    [
      ['', bob[5].id],
      ['0.5 by carol@x', bob[4].id],
    ],
  );
  assert.equal(cli(cwd, ['labels', 'hat', '--annotators', '--set', `${bob[4].id}=1`]).status, 2);
});
