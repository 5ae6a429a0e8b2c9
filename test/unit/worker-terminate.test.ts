/**
 * Terminating the engine worker (a watchdog or restart, or dispose past its grace period) while it indexes with
 * a model that keeps its thread inside onnxruntime most of the time. Terminating a thread inside onnxruntime-node
 * aborts the whole process ("terminate called after throwing an instance of 'Napi::Error'"): the client now
 * waits for the model call under way (WorkerData's cells). Were that wait missing, this file's process would
 * abort instead of failing an assertion. Needs dist/worker.js (`node esbuild.js`).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { EngineError, WorkerClient } from '../../src/extension/worker-client';
import { CLIP_PRESETS, generateClipModel } from '../../tools/generate-model/generate';
import { tempDir } from '../helpers/temp';
import { engineConfigFor, makePhotoWorkspace, WORKER_BUNDLE } from '../helpers/worker-workspace';

const TRIALS = 5;

test('terminating the worker while it indexes waits for the model call under way; indexing again resumes', async (t) => {
  const tmp = await tempDir(t, 'vt-terminate-');
  const modelDir = path.join(tmp, 'model');
  // A model whose batches take tens of milliseconds: the worker's thread is inside onnxruntime most of the time.
  await generateClipModel(modelDir, CLIP_PRESETS.fast);
  const ws = path.join(tmp, 'ws');
  const { photos } = await makePhotoWorkspace(ws);
  const client = new WorkerClient(WORKER_BUNDLE, () => undefined);
  t.after(() => client.dispose());
  const config = engineConfigFor(ws, modelDir);

  const folders: string[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const folder = path.join(ws, `photos-${trial}`);
    await fs.cp(photos, folder, { recursive: true });
    folders.push(folder);
    await client.request('configure', config);
    let stopping: Promise<void> | undefined;
    const outcome = await client
      .request(
        'index',
        { folder, batchSize: 8, maxPixels: 50_000_000 },
        {
          // After the first batch, at a different moment of the next ones each time.
          onProgress: (p) => {
            if (p.done > 0 && !stopping)
              stopping = new Promise((r) => setTimeout(r, trial * 37)).then(() => client.terminateWorker());
          },
        },
      )
      .then(
        (report) => `finished (${report.added} added)`,
        (err: unknown) => err,
      );
    await stopping;
    assert.ok(outcome instanceof EngineError, `trial ${trial}: ${String(outcome)}`);
    assert.match(outcome.message, /The Vector Tune worker stopped unexpectedly/);
  }

  // The process is still here, the store survived every stop, and indexing again finishes what each run began.
  await client.request('configure', config);
  const photoCount = (await fs.readdir(photos, { recursive: true })).filter((f) => f.endsWith('.jpg')).length;
  let added = 0;
  for (const folder of folders)
    added += (await client.request('index', { folder, batchSize: 8, maxPixels: 5e7 })).added;
  const info = await client.request('storeInfo', {});
  assert.equal(info?.count, TRIALS * (photoCount - 1), 'every photo but the broken one, once');
  assert.ok(added < info.count, 'the stopped runs had committed some batches');
});
