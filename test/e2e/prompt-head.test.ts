import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { readWeights } from '../../src/core/head/weights-file';
import { generateClipModel } from '../../tools/generate-model/generate';
import { REPO_ROOT, tempDir } from '../helpers/temp';

/**
 * The CLIP path end to end through the built CLI, on the committed sample photos and a generated model:
 * index, start from a text prompt, tune, rank the store and the folder, start from a committed head.
 */
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const SAMPLES = path.join(REPO_ROOT, 'samples', 'clothing');
let modelDir: string;

before(async () => {
  modelDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'vt-model-')), 'tiny');
  await generateClipModel(modelDir);
});

function cli(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
}

function ok(cwd: string, ...args: string[]): string {
  const r = cli(cwd, ...args);
  assert.equal(r.status, 0, `${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

function rankedLogits(stdout: string): Map<string, number> {
  return new Map([...stdout.matchAll(/^\s+\d+\s+(-?[\d.]+)\s+(\S+)$/gm)].map((m) => [m[2], Number(m[1])]));
}

test('prompt start, scripted tuning, and ranking the store and the folder agree', async (t) => {
  const ws = await tempDir(t);
  await fs.cp(path.join(SAMPLES, 'images'), path.join(ws, 'images'), { recursive: true });
  const answers = path.join(SAMPLES, 'labels.csv');
  assert.match(ok(ws, 'index', 'images', '--model', modelDir, '--offline'), /indexed: 48 added/);

  // Without --model the store's model id is only a name here (the model came from a folder): the error says so and
  // what to pass, and no head folder is left behind.
  const noModel = cli(ws, 'start', 'hat', '--prompt', 'a photo of a hat', '--offline');
  assert.equal(noModel.status, 1, noModel.stderr);
  assert.match(
    noModel.stderr,
    /no --model was given, so the model the store or head was embedded with, "vector-tune\/generated-clip-tiny", was looked up by that id, and .*Pass --model with that model's folder/s,
  );
  await assert.rejects(fs.access(path.join(ws, 'vectortune', 'heads', 'hat')));

  const started = cli(ws, 'start', 'hat', '--prompt', 'a photo of a hat', '--model', modelDir, '--offline');
  assert.equal(started.status, 0, started.stderr);
  const prompted = await readWeights(path.join(ws, 'vectortune', 'heads', 'hat', 'classifier.weights.json'));
  assert.equal(prompted.start.kind, 'prompt');
  assert.equal(prompted.model.id, 'vector-tune/generated-clip-tiny');
  assert.ok(Math.abs(Math.hypot(...prompted.w) - 1) < 1e-9, 'the prompt start is the unit text embedding');

  const tuned = ok(
    ws,
    'tune',
    'hat',
    '--answers',
    answers,
    '--label-column',
    'label',
    '--positive',
    'hat',
    '--rounds',
    '2',
    '--batch',
    '8',
    '--strategy',
    'mixed',
  );
  assert.equal(tuned.match(/^round \d/gm)?.length, 2);
  const weights = await readWeights(path.join(ws, 'vectortune', 'heads', 'hat', 'classifier.weights.json'));
  assert.equal(weights.labels.count, 16);
  assert.notDeepEqual(weights.w, prompted.w, 'tuning moved the head');

  const fromStore = rankedLogits(ok(ws, 'rank', 'hat', '--top', '48'));
  const fromFolder = rankedLogits(
    ok(ws, 'rank', 'hat', '--top', '48', '--folder', 'images', '--model', modelDir, '--offline'),
  );
  assert.equal(fromStore.size, 48);
  assert.deepEqual([...fromFolder.keys()].sort(), [...fromStore.keys()].sort());
  for (const [id, logit] of fromStore)
    assert.ok(Math.abs(logit - fromFolder.get(id)!) <= 2e-4, `${id}: ${logit} vs ${fromFolder.get(id)}`);

  // A committed head seeds a new one; the parent's hash is recorded.
  ok(ws, 'start', 'hat-v2', '--weights', 'vectortune/heads/hat/classifier.weights.json');
  const child = await readWeights(path.join(ws, 'vectortune', 'heads', 'hat-v2', 'classifier.weights.json'));
  assert.equal(child.start.kind, 'weights');
  assert.deepEqual(child.w, weights.w);
});

test('a malformed or foreign weights file is a clear CLI error, not a crash', async (t) => {
  const ws = await tempDir(t);
  await fs.cp(path.join(SAMPLES, 'images', 'hat'), path.join(ws, 'images'), { recursive: true });
  ok(ws, 'index', 'images', '--model', modelDir, '--offline');
  await fs.writeFile(path.join(ws, 'bad.json'), '{"format": "vector-tune-head", "w": [1, 2');
  let r = cli(ws, 'start', 'x', '--weights', 'bad.json');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.json: the weights file is not valid JSON/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace for a user error');

  const foreign = { ...(await readWeights(path.join(REPO_ROOT, 'test', 'fixtures', 'foreign.weights.json'))) };
  await fs.writeFile(path.join(ws, 'foreign.json'), JSON.stringify(foreign));
  r = cli(ws, 'start', 'x', '--weights', 'foreign.json');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /trained on 3-d embeddings of "some-other-model"/);
});
