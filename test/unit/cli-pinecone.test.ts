/**
 * The command line on a Pinecone store (--pinecone-index, key from PINECONE_API_KEY) against the local
 * stand-in of Pinecone's API: index (incremental), start, tune, rank, reset-seen and eval, on the sample
 * photos with a generated CLIP-layout model.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { CliIo } from '../../src/cli/command';
import { runCli } from '../../src/cli/main';
import { seenField } from '../../src/core/store/pinecone/metadata';
import { generateClipModel } from '../../tools/generate-model/generate';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { tempDir } from '../helpers/temp';
import { listJpegs, makePhotoWorkspace, recordId } from '../helpers/worker-workspace';

const KEY = 'pcsk_cli-test-key-0c41';
let fake: FakePinecone;

before(async () => {
  fake = await startFakePinecone({ apiKey: KEY });
});
after(() => fake.close());

function cli(cwd: string, env: NodeJS.ProcessEnv = { PINECONE_API_KEY: KEY }) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env };
  const run = async (args: string[]) => {
    out.length = 0;
    err.length = 0;
    return runCli(args, io);
  };
  return { run, out, err };
}

test('index, start, tune, rank, reset-seen and eval on a Pinecone index', async (t) => {
  const ws = await tempDir(t);
  const model = path.join(ws, 'model');
  await generateClipModel(model);
  const { photos } = await makePhotoWorkspace(ws);
  const hats = (await listJpegs(path.join(photos, 'hat'))).map((f) => recordId(ws, f));
  const answers = path.join(ws, 'answers.csv');
  const ids = (await listJpegs(photos)).map((f) => recordId(ws, f)).filter((id) => id !== 'photos/broken.jpg');
  await fs.writeFile(answers, 'path,label\n' + ids.map((id) => `${id},${id.split('/')[1]}`).join('\n') + '\n');
  const pine = ['--pinecone-index', 'cli-photos', '--pinecone-controller-host', fake.controllerHostUrl];
  const { run, out, err } = cli(ws);
  const ok = async (args: string[]) => assert.equal(await run(args), 0, [...out, ...err].join('\n'));

  await ok(['index', 'photos', '--model', model, '--offline', ...pine, '--pinecone-region', 'eu-central-1']);
  assert.match(out[0], /indexed: 48 added, 0 updated, 0 unchanged, 0 removed, 1 skipped/);
  const data = fake.indexes.get('cli-photos')!.namespaces.get('__default__')!;
  assert.equal(data.size, 48);
  assert.deepEqual(fake.indexes.get('cli-photos')!.spec, { serverless: { cloud: 'aws', region: 'eu-central-1' } });
  await ok(['index', 'photos', '--model', model, '--offline', ...pine]);
  assert.match(out[0], /indexed: 0 added, 0 updated, 48 unchanged, 0 removed/, 'a second run embeds nothing');
  await assert.rejects(fs.access(path.join(ws, '.vectortune')), 'the embedded store was not touched');

  await ok(['start', 'hat', '--examples', hats.slice(0, 2).join(','), ...pine]);
  await ok([
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
    '5',
    ...pine,
  ]);
  assert.equal(out.filter((l) => /^round \d: /.test(l)).length, 2);
  // Markers are keyed by the head's id (classifier.weights.json), not its name.
  const weights = JSON.parse(await fs.readFile(path.join(ws, 'vectortune/heads/hat/classifier.weights.json'), 'utf8'));
  assert.match(weights.id, /^[0-9a-f]{32}$/);
  const field = seenField(weights.id);
  assert.equal([...data.values()].filter((r) => r.metadata?.[field] === false).length, 48 - 12, 'the rest: false');
  const seen = () => [...data.values()].filter((r) => r.metadata?.[field] === true).length;
  assert.equal(seen(), 12, 'two examples and two batches of five');
  await ok(['rank', 'hat', '--top', '3', ...pine]);
  assert.equal(out.length, 3);
  await ok(['reset-seen', 'hat', ...pine]);
  assert.match(out[0], /12 -> 12 seen/, 'every shown record was labelled, so all stay seen');
  await ok(['eval', 'hat', '--answers', answers, '--label-column', 'label', '--positive', 'hat', ...pine]);
  assert.match(
    out.join('\n'),
    /head "hat" .* on every record of the store; 12 records the head was trained on left out: 36 records/,
  );
  assert.ok(![...out, ...err].join('\n').includes(KEY));
});

test('the Pinecone store needs PINECONE_API_KEY, and not --store too; the key is never printed', async (t) => {
  const ws = await tempDir(t);
  const pine = ['--pinecone-index', 'cli-nothing', '--pinecone-controller-host', fake.controllerHostUrl];
  let c = cli(ws, {});
  assert.equal(await c.run(['reset-seen', 'hat', ...pine]), 1);
  assert.match(c.err.join('\n'), /PINECONE_API_KEY is not set/);
  c = cli(ws);
  assert.equal(await c.run(['rank', 'hat', '--store', 'elsewhere', ...pine]), 2);
  assert.match(c.err.join('\n'), /either --store .* or --pinecone-index, not both/);
  assert.equal(await c.run(['start', 'hat', '--examples', 'a.jpg', ...pine]), 1);
  assert.match(c.err.join('\n'), /Pinecone has no index named "cli-nothing"/);
  // A key the service refuses; the key pasted where the index name goes is masked in the error naming it.
  c = cli(ws, { PINECONE_API_KEY: 'pcsk_wrong-key-77' });
  assert.equal(await c.run(['start', 'hat', '--examples', 'a.jpg', ...pine]), 1);
  assert.match(c.err.join('\n'), /refused the API key \(HTTP 401\)/);
  c = cli(ws);
  assert.equal(
    await c.run([
      'start',
      'hat',
      '--examples',
      'a.jpg',
      '--pinecone-index',
      KEY,
      '--pinecone-controller-host',
      fake.controllerHostUrl,
    ]),
    1,
  );
  assert.match(c.err.join('\n'), /Pinecone has no index named "\*\*\*"/);
  assert.ok(![...c.out, ...c.err].join('\n').includes(KEY));
});
