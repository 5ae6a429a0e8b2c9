/**
 * The `predict` request in the BUILT worker (dist/worker.js), as Apply Heads to Folder sends it: progress,
 * the broken photo listed, cancelling part-way (the rows so far are written), and a head of another model.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { writeWeights } from '../../src/core/head/weights-file';
import { parseCsv } from '../../src/core/io/csv';
import { EngineError, type WorkerProgress } from '../../src/extension/worker-client';
import { weightsFor } from '../helpers/head-weights';
import { failure, startWorkerSession, type WorkerSession } from '../helpers/worker-session';
import { engineConfigFor } from '../helpers/worker-workspace';

let session: WorkerSession;
const PHOTOS = 48;

before(async () => {
  session = await startWorkerSession('vt-worker-predict-');
  await session.client.request('configure', engineConfigFor(session.ws, session.modelDir));
  await session.client.request('index', { folder: session.photos, batchSize: 8, maxPixels: 50_000_000 });
  for (const [name, prompt] of [
    ['hat', 'a photo of a hat'],
    ['shoes', 'shoes'],
  ]) {
    await session.client.request('startHead', { name, start: { kind: 'prompt', prompt }, overwrite: false });
  }
});
after(() => session?.close());

const rowsOf = async (file: string) => parseCsv(await fs.readFile(file, 'utf8'), file).rows;

test('predict writes a row per readable photo, reports progress and lists the broken one', async () => {
  const progress: WorkerProgress[] = [];
  const out = path.join(session.ws, 'predictions.csv');
  const report = await session.client.request(
    'predict',
    { folder: session.photos, heads: ['hat', 'shoes'], out, threshold: 'zero' },
    { onProgress: (p) => progress.push(p) },
  );
  assert.equal(report.predicted, PHOTOS);
  assert.deepEqual(
    report.failed.map((f) => f.path),
    ['photos/broken.jpg'],
  );
  assert.equal(report.cancelled, false);
  assert.equal((await rowsOf(out)).length, PHOTOS);
  assert.ok(
    progress.some((p) => p.done === PHOTOS + 1 && p.total === PHOTOS + 1 && /Predicted 49 of 49/.test(p.message)),
  );
  assert.ok(
    session.logs.some((l) => /^warn: +failed photos\/broken\.jpg/.test(l)),
    session.logs.join('\n'),
  );
});

test('cancelled part-way, it writes the rows so far and says so', async () => {
  const controller = new AbortController();
  const out = path.join(session.ws, 'partial.jsonl');
  const report = await session.client.request(
    'predict',
    { folder: session.photos, heads: ['hat'], out, threshold: 'zero' },
    {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done > 0) controller.abort();
      },
    },
  );
  assert.equal(report.cancelled, true);
  assert.ok(report.predicted > 0 && report.predicted < PHOTOS, `predicted ${report.predicted}`);
  const lines = (await fs.readFile(out, 'utf8')).trim().split('\n');
  assert.equal(lines.length, report.predicted);
});

test('a head of another model is refused, naming both and the setting to change', async () => {
  const dir = path.join(session.ws, 'vectortune', 'heads', 'foreign');
  await writeWeights(
    path.join(dir, 'classifier.weights.json'),
    weightsFor('foreign', 'someone/other-clip', Array(64).fill(0.1)),
  );
  const err = await failure(
    session.client.request('predict', {
      folder: session.photos,
      heads: ['hat', 'foreign'],
      out: path.join(session.ws, 'never.csv'),
      threshold: 'zero',
    }),
  );
  assert.ok(err instanceof EngineError && err.userError, String(err));
  assert.match(err.message, /"hat" and "foreign" were trained on different models/);
  const alone = await failure(
    session.client.request('predict', {
      folder: session.photos,
      heads: ['foreign'],
      out: path.join(session.ws, 'never.csv'),
      threshold: 'zero',
    }),
  );
  assert.match(
    alone.message,
    /"foreign" was trained on 64-d embeddings of "someone\/other-clip", not 64-d embeddings of "vector-tune\/generated-clip-tiny"\. Set Vector Tune: Model/,
  );
  await assert.rejects(fs.access(path.join(session.ws, 'never.csv')));
});
