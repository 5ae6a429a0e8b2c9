/**
 * The command line past Pinecone's 10,000 results per query, against the local stand-in (which keeps that limit):
 * `rank --top 5` asks for 5, `rank --out` and `eval` read every record in pieces and say so.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { CliIo } from '../../src/cli/command';
import { runCli } from '../../src/cli/main';
import { PineconeStore } from '../../src/core/store/pinecone/pinecone-store';
import { clusteredRecords } from '../helpers/pinecone-rounds';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { tempDir } from '../helpers/temp';

const KEY = 'pcsk_large-test-key';
const N = 12_000;
let fake: FakePinecone;

before(async () => {
  fake = await startFakePinecone({ apiKey: KEY, keepBodies: false });
});
after(() => fake.close());

test(`rank --top 5, rank --out and eval on a ${N.toLocaleString('en-US')}-record Pinecone index`, async (t) => {
  const ws = await tempDir(t);
  const { records, positive } = clusteredRecords(N, 32, 0.05, 7);
  const store = await PineconeStore.connect({
    apiKey: KEY,
    controllerHostUrl: fake.controllerHostUrl,
    indexName: 'large',
    modelId: 'test/clustered-32',
    dimension: 32,
  });
  await store.upsert(records);
  const answers = path.join(ws, 'answers.csv');
  await fs.writeFile(
    answers,
    'path,label\n' + records.map((r) => `${r.id},${positive.has(r.id) ? 'pos' : 'neg'}`).join('\n') + '\n',
  );

  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd: ws, env: { PINECONE_API_KEY: KEY } };
  const run = async (args: string[]) => {
    out.length = 0;
    err.length = 0;
    const code = await runCli(
      [...args, '--pinecone-index', 'large', '--pinecone-controller-host', fake.controllerHostUrl],
      io,
    );
    assert.equal(code, 0, [...out, ...err].join('\n'));
  };
  const examples = [...positive].slice(0, 3);
  await run(['start', 'pos', '--examples', examples.join(',')]);

  fake.traffic.reset();
  fake.requests.length = 0;
  await run(['rank', 'pos', '--top', '5']);
  assert.equal(out.length, 5);
  const queries = fake.traffic.snapshot()['POST /query'];
  assert.equal(queries.requests, 1, 'one query');
  assert.equal(fake.traffic.snapshot()['GET /vectors/list'], undefined, 'no listing of the collection');
  assert.ok(queries.bytesOut < 5_000, `the answer holds 5 matches, not ${N}: ${queries.bytesOut} bytes`);

  const csv = path.join(ws, 'ranked.csv');
  fake.traffic.reset();
  await run(['rank', 'pos', '--out', csv]);
  assert.match(
    err.join('\n'),
    /scoring all 12,000 records, more than the 10,000 one query returns: every record is listed and fetched/,
  );
  const rows = (await fs.readFile(csv, 'utf8')).trim().split('\n').slice(1);
  assert.equal(rows.length, N);
  assert.equal(new Set(rows.map((r) => r.split(',')[1])).size, N, 'every record once');
  const logits = rows.map((r) => Number(r.split(',')[2]));
  assert.ok(
    logits.every((l, i) => i === 0 || logits[i - 1] >= l),
    'best first',
  );
  assert.ok((fake.traffic.snapshot()['GET /vectors/list']?.requests ?? 0) >= N / 100, 'listed page by page');

  await run([
    'eval',
    'pos',
    '--answers',
    answers,
    '--label-column',
    'label',
    '--positive',
    'pos',
    '--report-name',
    'large',
  ]);
  assert.match(
    out.join('\n'),
    /on every record of the store; 3 records the head was trained on left out: 11997 records/,
  );
  assert.match(err.join('\n'), /scoring all 12,000 records/);
  const report = JSON.parse(await fs.readFile(path.join(ws, 'vectortune/heads/pos/reports/large.json'), 'utf8'));
  assert.ok(report.metrics.averagePrecision > 0.5, `AP ${report.metrics.averagePrecision}: the head finds its class`);
});
