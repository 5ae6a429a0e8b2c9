import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { readLabels } from '../../src/core/tune/labels-file';
import { cli } from '../helpers/cli';
import { assertWeightsReplayLabels } from '../helpers/replay-check';
import { tempDir } from '../helpers/temp';
import { CLOTHING_CSV, IMPORT_CLOTHING_TRAIN, tuneHatArgs } from '../helpers/clothing-features';

/**
 * Two people label the same committed head on two branches (two clones, real git), and one merges the other's
 * branch: the head's .gitattributes union-merges labels.jsonl and keeps one weights file whole, and opening the
 * head retrains it from the merged labels, with no step beyond the merge.
 */
const CSV = CLOTHING_CSV;
const HEAD = path.join('vectortune', 'heads', 'hat');

function git(cwd: string, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function gitOk(cwd: string, ...args: string[]): string {
  const r = git(cwd, ...args);
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.out}`);
  return r.out;
}

function ok(cwd: string, ...args: string[]): { stdout: string; stderr: string } {
  const r = cli(cwd, args);
  assert.equal(r.status, 0, `vector-tune ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r;
}

const importStore = (cwd: string) => ok(cwd, ...IMPORT_CLOTHING_TRAIN);
const tune = (cwd: string, strategy: string) =>
  ok(cwd, ...tuneHatArgs('--rounds', '2', '--batch', '8', '--strategy', strategy));

test('two clones label one committed head on two branches; after the merge the head is a replay of the merged labels', async (t) => {
  const root = await tempDir(t);
  const [alice, bob] = [path.join(root, 'alice'), path.join(root, 'bob')];
  await fs.mkdir(alice);
  gitOk(alice, 'init', '-q', '-b', 'main');
  gitOk(alice, 'config', 'user.email', 'alice@example.com');
  gitOk(alice, 'config', 'user.name', 'Alice');
  await fs.writeFile(path.join(alice, '.gitignore'), '.vectortune/\n');
  importStore(alice);
  const hats = (await fs.readFile(CSV, 'utf8'))
    .split('\n')
    .filter((l) => l.includes(',train,hat'))
    .slice(0, 3)
    .map((l) => l.split(',')[1]);
  ok(alice, 'start', 'hat', '--examples', hats.join(','));
  gitOk(alice, 'add', '.');
  gitOk(alice, 'commit', '-qm', 'hat head');
  assert.deepEqual(
    gitOk(alice, 'ls-files', HEAD).trim().split('\n').sort(),
    ['.gitattributes', 'classifier.weights.json', 'labels.jsonl'].map((f) => `${HEAD}/${f}`),
    'the head is committed without its machine-local state',
  );

  gitOk(root, 'clone', '-q', alice, bob);
  gitOk(bob, 'config', 'user.email', 'bob@example.com');
  gitOk(bob, 'config', 'user.name', 'Bob');
  importStore(bob);
  gitOk(bob, 'switch', '-q', '-c', 'bob');
  tune(bob, 'boundary');
  gitOk(bob, 'commit', '-qam', 'bob labels hats near the boundary');

  gitOk(alice, 'switch', '-q', '-c', 'alice');
  tune(alice, 'top');
  gitOk(alice, 'commit', '-qam', 'alice labels top hats');
  const aliceLines = (await readLabels(path.join(alice, HEAD, 'labels.jsonl'))).labels.length;

  gitOk(alice, 'fetch', '-q', bob, 'bob');
  const merge = git(alice, 'merge', '--no-edit', 'FETCH_HEAD');
  assert.doesNotMatch(merge.out, /CONFLICT[^\n]*labels\.jsonl/, 'labels.jsonl merges by union');
  const labelsFile = path.join(alice, HEAD, 'labels.jsonl');
  const merged = await readLabels(labelsFile);
  assert.equal(merged.labels.length, aliceLines + 16, "both sides' rounds are in the merged labels");
  const by = new Set(merged.labels.filter((l) => l.round > 0).map((l) => l.by));
  assert.deepEqual(
    [...by].sort(),
    ['alice@example.com', 'bob@example.com'],
    "each line says who gave it (git's user.email)",
  );
  assert.doesNotMatch(
    await fs.readFile(path.join(alice, HEAD, 'classifier.weights.json'), 'utf8'),
    /^<<<<<<</m,
    'the weights file is kept whole',
  );

  // Opening the head (here: listing its labels) is all it takes.
  const opened = ok(alice, 'labels', 'hat');
  assert.match(opened.stderr, /retrained from \d+ labels/);
  // Both annotators' lines survive the merge, so their agreement can be read from it (the same truth on both sides:
  // no disagreement).
  const scoredBy = (who: string) => new Set(merged.labels.filter((l) => l.by === who).map((l) => l.id));
  const bobs = scoredBy('bob@example.com');
  const shared = [...scoredBy('alice@example.com')].filter((id) => bobs.has(id)).length;
  const agreement = ok(alice, 'labels', 'hat', '--annotators').stdout.split('\n');
  assert.equal(agreement[0], 'annotators: alice@example.com, bob@example.com');
  assert.match(
    agreement[2],
    new RegExp(
      `^alice@example\\.com\\tbob@example\\.com\\t${shared}\\t${shared < 5 ? `n/a \\(${shared} shared\\)` : '(1\\.00|n/a \\(no variation\\))'}$`,
    ),
  );
  assert.equal(agreement[3], 'disagreements: 0 (0 open, 0 settled)');
  const store = await EmbeddedStore.open(path.join(alice, '.vectortune', 'store'));
  try {
    await assertWeightsReplayLabels(path.join(alice, HEAD), store, 'after the merge');
  } finally {
    await store.close();
  }
  // The merge is concluded as any other; the next round continues after both sides' rounds.
  gitOk(alice, 'add', HEAD);
  gitOk(alice, 'commit', '-qm', 'merge bob');
  const next = ok(alice, ...tuneHatArgs('--rounds', '1'));
  assert.match(next.stdout, /^round 3:/m);
});
