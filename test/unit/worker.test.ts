/**
 * The engine worker end to end: the BUILT bundle dist/worker.js (run `node esbuild.js` first; `npm test`
 * does) in a real worker_threads thread, driven through WorkerClient as the extension drives it, on a copy of
 * the 48 sample photos with a generated CLIP-layout model (real sharp, transformers.js and onnxruntime).
 * The tests share one workspace and one client and run in order, like a user's session.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IndexReport } from '../../src/core/ingest/index-folder';
import { EngineError, WorkerClient, WorkerProgress } from '../../src/extension/worker-client';
import type { EngineConfig } from '../../src/protocol/worker-protocol';
import { chooseThreadSettings, withThreadDefaults } from '../../src/worker/native-threads';
import { throttleProgress } from '../../src/worker/progress-throttle';
import { failure, startWorkerSession, type WorkerSession } from '../helpers/worker-session';
import { engineConfigFor, listJpegs, recordId, SAMPLE_IMAGES, WORKER_BUNDLE } from '../helpers/worker-workspace';

const GENERATED_MODEL_ID = 'vector-tune/generated-clip-tiny';
const PHOTO_COUNT = 48;

let tmp: string;
let ws: string;
let photos: string;
let config: EngineConfig;
let client: WorkerClient;
let logs: string[];
let session: WorkerSession;

before(async () => {
  session = await startWorkerSession('vt-worker-');
  ({ tmp, ws, photos, client, logs } = session);
  config = engineConfigFor(ws, session.modelDir);
});

after(() => session?.close());

async function readLabelLines(
  labelsFile: string,
): Promise<{ id: string; path?: string; score: number; round: number }[]> {
  const text = await fs.readFile(labelsFile, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const index = (
  folder: string,
  options: { batchSize?: number; signal?: AbortSignal; onProgress?: (p: WorkerProgress) => void } = {},
) => client.request('index', { folder, batchSize: options.batchSize ?? 4, maxPixels: 50_000_000 }, options);

describe('the engine worker, through WorkerClient', () => {
  it('is configured, and has no store before anything is indexed', async () => {
    await client.request('configure', config);
    assert.equal(await client.request('storeInfo', {}), null);
  });

  it('reports user errors with userError set and a message naming the problem', async () => {
    const missing = path.join(ws, 'no-such-folder');
    const err = await failure(index(missing));
    assert.ok(err instanceof EngineError, String(err));
    assert.equal(err.userError, true);
    // The problem leads and the path comes last, where a notification can afford it.
    assert.match(err.message, /^No such folder to index\..*\(\S+no-such-folder\)$/);
    assert.ok(err.message.includes(missing), err.message);

    const noHead = await failure(client.request('nextBatch', { k: 4, strategy: 'top' }));
    assert.ok(noHead instanceof EngineError && noHead.userError);
    assert.match(noHead.message, /No head is open\. Start a head first: Vector Tune: New Head from Prompt\.\.\./);

    const noStore = await failure(
      client.request('startHead', { name: 'early', start: { kind: 'prompt', prompt: 'a hat' }, overwrite: false }),
    );
    assert.ok(noStore instanceof EngineError && noStore.userError);
    assert.match(noStore.message, /^No Vector Tune store here/);
  });

  let firstRun: IndexReport;

  it('stops an index run cancelled after its first progress, and cancels a queued request before it starts', async () => {
    const controller = new AbortController();
    const progress: WorkerProgress[] = [];
    const running = index(photos, {
      batchSize: 2,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        if (p.done > 0) controller.abort();
      },
    });
    // Queued behind the index (the worker runs store writes one at a time), then cancelled before its turn.
    const queuedController = new AbortController();
    const queued = failure(index(photos, { signal: queuedController.signal }));
    setImmediate(() => queuedController.abort());

    firstRun = await running;
    assert.equal(firstRun.cancelled, true, 'the report says the run was cancelled');
    assert.ok(firstRun.added > 0 && firstRun.added < PHOTO_COUNT, `added ${firstRun.added}: some but not all photos`);
    assert.ok(
      progress.some((p) => p.total === 0 && /Loading the embedding model/.test(p.message)),
      'the model load is announced',
    );
    const queuedError = await queued;
    assert.equal(queuedError.name, 'AbortError');

    const info = await client.request('storeInfo', {});
    assert.deepEqual(
      info,
      { count: firstRun.added, modelId: GENERATED_MODEL_ID, dimension: 64 },
      'what was embedded is committed',
    );
  });

  it('resumes: indexing again embeds the rest, reports progress and the broken file, and storeInfo counts 48', async () => {
    const progress: WorkerProgress[] = [];
    let finished = false;
    let infoDuringIndex: Promise<{ count: number } | null> | undefined;
    const run = index(photos, {
      batchSize: 2,
      onProgress: (p) => {
        progress.push(p);
        // storeInfo does not wait for the index run: it answers from the committed manifest.
        if (p.done > 0 && !infoDuringIndex)
          infoDuringIndex = client.request('storeInfo', {}).then((info) => (assert.equal(finished, false), info));
      },
    });
    const report = await run.finally(() => (finished = true));

    assert.equal(report.cancelled, false);
    assert.equal(report.added, PHOTO_COUNT - firstRun.added, 'only the photos the cancelled run did not reach');
    assert.equal(report.unchanged, firstRun.added);
    assert.deepEqual(
      report.skipped.map((s) => s.path),
      ['photos/broken.jpg'],
    );
    assert.match(report.skipped[0].reason, /truncated or corrupt image/);

    const counted = progress.filter((p) => p.total > 0);
    assert.ok(counted.length >= 2, `progress events: ${JSON.stringify(progress)}`);
    counted.forEach((p, i) => assert.ok(i === 0 || p.done >= counted[i - 1].done, 'done never goes back'));
    const last = counted[counted.length - 1];
    assert.equal(last.total, PHOTO_COUNT - firstRun.added + 1, 'the rest of the photos and the broken file');
    assert.equal(last.done, last.total);
    assert.match(last.message, /Embedded \d+ of \d+ images/);

    const during = await infoDuringIndex;
    assert.ok(during && during.count >= firstRun.added && during.count <= PHOTO_COUNT);
    assert.deepEqual(await client.request('storeInfo', {}), {
      count: PHOTO_COUNT,
      modelId: GENERATED_MODEL_ID,
      dimension: 64,
    });
    assert.deepEqual(await client.request('loadModel', {}), { modelId: GENERATED_MODEL_ID, dimension: 64 });
  });

  let hatsLabels: string;

  it('starts a head from a prompt; nextBatch returns k candidates with paths, best first', async () => {
    const head = await client.request('startHead', {
      name: 'hats',
      start: { kind: 'prompt', prompt: 'a photo of a hat' },
      overwrite: false,
    });
    assert.deepEqual(
      { ...head, weightsFile: path.relative(ws, head.weightsFile), labelsFile: path.relative(ws, head.labelsFile) },
      {
        name: 'hats',
        weightsFile: path.join('vectortune', 'heads', 'hats', 'classifier.weights.json'),
        labelsFile: path.join('vectortune', 'heads', 'hats', 'labels.jsonl'),
        labelCount: 0,
        nextRound: 1,
        modelId: GENERATED_MODEL_ID,
        storeCount: PHOTO_COUNT,
        seenCount: 0,
        positives: 0,
        negatives: 0,
        rounds: [],
      },
    );
    hatsLabels = head.labelsFile;
    const weights = JSON.parse(await fs.readFile(head.weightsFile, 'utf8'));
    assert.deepEqual([weights.start.kind, weights.start.prompt, weights.w.length], ['prompt', 'a photo of a hat', 64]);

    const { candidates } = await client.request('nextBatch', { k: 6, strategy: 'top' });
    assert.equal(candidates.length, 6);
    assert.equal(new Set(candidates.map((c) => c.id)).size, 6);
    for (const [i, c] of candidates.entries()) {
      assert.equal(c.path, c.id);
      await fs.access(path.join(ws, c.path)); // a real file of the workspace
      assert.ok(Math.abs(c.probability - 1 / (1 + Math.exp(-c.logit))) < 1e-12);
      if (i > 0) assert.ok(c.logit <= candidates[i - 1].logit, 'top strategy: best first');
    }
  });

  it('submit writes the labels file, and the next batch leaves out what was shown', async () => {
    const { candidates } = await client.request('nextBatch', { k: 6, strategy: 'top' });
    const scores = [1, -1, 0.5, -0.5, null, null];
    const verdicts = candidates.map((c, i) => ({ id: c.id, score: scores[i] }));
    const { head, result } = await client.request('submit', { verdicts });
    assert.deepEqual(
      [result.round, result.labelCount, head.labelCount, head.nextRound, head.seenCount],
      [1, 4, 4, 2, 6],
    );
    assert.ok(Number.isFinite(result.loss) && result.moved > 0, 'the head was trained');

    const labels = await readLabelLines(hatsLabels);
    assert.deepEqual(
      labels.map((l) => [l.id, l.path, l.score, l.round]),
      verdicts.slice(0, 4).map((v) => [v.id, v.id, v.score, 1]),
    );
    const next = await client.request('nextBatch', { k: PHOTO_COUNT, strategy: 'mixed' });
    assert.equal(next.candidates.length, PHOTO_COUNT - 6);
    const shown = new Set(candidates.map((c) => c.id));
    assert.ok(
      next.candidates.every((c) => !shown.has(c.id)),
      'labelled and skipped records are not shown again',
    );
  });

  it('resetSeen shows skipped records again; labelled ones stay hidden', async () => {
    const labelled = new Set((await readLabelLines(hatsLabels)).map((l) => l.id));
    const head = await client.request('resetSeen', {});
    assert.equal(head.seenCount, labelled.size);
    const { candidates } = await client.request('nextBatch', { k: PHOTO_COUNT, strategy: 'boundary' });
    assert.equal(candidates.length, PHOTO_COUNT - labelled.size);
    assert.ok(candidates.every((c) => !labelled.has(c.id)));
  });

  it('runs nextBatch and submits fired together one at a time, in order', async () => {
    const { candidates } = await client.request('nextBatch', { k: 4, strategy: 'top' });
    const ids = candidates.map((c) => c.id);
    const [first, second, batch] = await Promise.all([
      client.request('submit', { verdicts: ids.slice(0, 2).map((id) => ({ id, score: 1 })) }),
      client.request('submit', { verdicts: ids.slice(2).map((id) => ({ id, score: -1 })) }),
      client.request('nextBatch', { k: PHOTO_COUNT, strategy: 'top' }),
    ]);
    // Interleaved submits would both take the same round number; serialised, they take two in a row.
    assert.deepEqual([first.result.round, second.result.round], [2, 3]);
    assert.deepEqual([first.result.labelCount, second.result.labelCount], [6, 8]);
    assert.equal(batch.head.labelCount, 8, 'the batch asked for last sees both submits');
    assert.ok(batch.candidates.every((c) => !ids.includes(c.id)));
    assert.equal(batch.candidates.length, PHOTO_COUNT - 8);
    assert.equal((await readLabelLines(hatsLabels)).length, 8);
  });

  let examplesHeadDir: string;

  it('starts a head from example images: they are its first positives and are never shown', async () => {
    const hats = (await listJpegs(path.join(photos, 'hat'))).slice(0, 2).map((f) => recordId(ws, f));
    const head = await client.request('startHead', {
      name: 'hat-examples',
      start: { kind: 'examples', ids: hats },
      overwrite: false,
    });
    examplesHeadDir = path.dirname(head.weightsFile);
    assert.deepEqual([head.name, head.labelCount, head.seenCount, head.nextRound], ['hat-examples', 2, 2, 1]);
    const labels = await readLabelLines(head.labelsFile);
    assert.deepEqual(
      labels.map((l) => [l.id, l.score, l.round]),
      hats.map((id) => [id, 1, 0]),
    );
    const { candidates } = await client.request('nextBatch', { k: PHOTO_COUNT, strategy: 'top' });
    assert.equal(candidates.length, PHOTO_COUNT - 2);
    assert.ok(candidates.every((c) => !hats.includes(c.id)));

    const again = await failure(
      client.request('startHead', { name: 'hat-examples', start: { kind: 'examples', ids: hats }, overwrite: false }),
    );
    assert.ok(again instanceof EngineError && again.userError);
    assert.match(again.message, /^A head named "hat-examples" already exists/);

    // Scores meant for the previous head ("hats") arrive after this one opened: refused, nothing written.
    const hatsDir = path.join(path.dirname(examplesHeadDir), 'hats');
    const before = await readLabelLines(head.labelsFile);
    const stale = await failure(
      client.request('submit', { headDir: hatsDir, verdicts: [{ id: candidates[0].id, score: 1 }] }),
    );
    assert.ok(stale instanceof EngineError && stale.userError);
    assert.match(
      stale.message,
      /these scores are for the head in .*hats, but the open head is now "hat-examples"; nothing was written/,
    );
    assert.deepEqual(await readLabelLines(head.labelsFile), before);
    assert.equal(
      (await client.request('nextBatch', { headDir: examplesHeadDir, k: 1, strategy: 'top' })).head.name,
      'hat-examples',
    );
  });

  it('loads another model when the configuration names one, and refuses to mix it with the store', async () => {
    const otherModel = path.join(tmp, 'other-model');
    await fs.cp(config.model.ref, otherModel, { recursive: true });
    const modelConfig = JSON.parse(await fs.readFile(path.join(otherModel, 'config.json'), 'utf8'));
    await fs.writeFile(
      path.join(otherModel, 'config.json'),
      JSON.stringify({ ...modelConfig, _name_or_path: 'someone/other-clip' }),
    );
    await client.request('configure', { ...config, model: { ...config.model, ref: otherModel } });
    assert.deepEqual(await client.request('loadModel', {}), { modelId: 'someone/other-clip', dimension: 64 });

    const prompt = await failure(
      client.request('startHead', { name: 'other', start: { kind: 'prompt', prompt: 'a hat' }, overwrite: false }),
    );
    assert.ok(prompt instanceof EngineError && prompt.userError);
    assert.match(
      prompt.message,
      /^The store holds embeddings of "vector-tune\/generated-clip-tiny", but the prompt would be embedded by "someone\/other-clip"/,
    );
    const indexing = await failure(index(photos));
    assert.ok(indexing instanceof EngineError && indexing.userError);
    assert.match(indexing.message, /vectors of two models cannot be mixed/);

    await client.request('configure', config);
    const { head } = await client.request('nextBatch', { k: 1, strategy: 'top' });
    assert.equal(head.name, 'hat-examples', 'a new model leaves the open head alone; only new folders close it');
  });

  it('rejects pending requests when the worker stops, and the next request starts one configured with the head open', async () => {
    const more = path.join(ws, 'more');
    await fs.cp(SAMPLE_IMAGES, more, { recursive: true });
    // terminateWorker() stops the thread as a crash would. Never while onnxruntime embeds a batch in it: that can
    // abort the whole test process (issue 6). So the index is cancelled after its first batch and stops at the batch
    // boundary, the worker releases the model and the store, and only then is the thread stopped, with the next
    // index request posted to it: pending when the thread stops, and never started.
    const controller = new AbortController();
    const cancelled = await index(more, {
      batchSize: 1,
      signal: controller.signal,
      onProgress: (p) => p.done > 0 && controller.abort(),
    });
    assert.equal(cancelled.cancelled, true, 'the index stopped at a batch boundary');
    await client.request('dispose', {});
    const progressAfterStop: WorkerProgress[] = [];
    const stopped = failure(index(more, { batchSize: 1, onProgress: (p) => progressAfterStop.push(p) }));
    void client.terminateWorker(); // before the request above leaves the client's outbox
    const err = await stopped;
    assert.deepEqual(progressAfterStop, [], 'the stopping worker never started the request');
    assert.ok(err instanceof EngineError, String(err));
    assert.equal(err.userError, false);
    assert.equal(err.message, 'The Vector Tune worker stopped unexpectedly (exit code 1); see the Vector Tune log.');
    assert.ok(logs.some((l) => l.startsWith('error: The Vector Tune worker stopped (exit code 1)')));

    // The new worker was sent the configuration and reopened the head before this request.
    const { head, candidates } = await client.request('nextBatch', { k: 3, strategy: 'top' });
    assert.equal(head.name, 'hat-examples');
    assert.equal(path.dirname(head.weightsFile), examplesHeadDir);
    assert.equal(candidates.length, 3);
    assert.ok(
      logs.some((l) => l.includes(`Restarted the Vector Tune worker and reopened the head in ${examplesHeadDir}`)),
    );

    // The store survived the kill; indexing again finishes the folder, and the open head sees the new photos.
    const report = await index(more);
    assert.equal(report.cancelled, false);
    assert.deepEqual(await client.request('storeInfo', {}), {
      count: 2 * PHOTO_COUNT,
      modelId: GENERATED_MODEL_ID,
      dimension: 64,
    });
    const later = await client.request('nextBatch', { k: 1, strategy: 'top' });
    assert.equal(later.head.storeCount, 2 * PHOTO_COUNT, 'the head was reopened on the updated store');
  });
});

describe('WorkerClient lifecycle', () => {
  it('fails requests clearly when the worker bundle cannot start', async () => {
    const lines: string[] = [];
    const broken = new WorkerClient(path.join(tmp, 'missing', 'worker.js'), (level, message) =>
      lines.push(`${level}: ${message}`),
    );
    const err = await failure(broken.request('storeInfo', {}));
    assert.ok(err instanceof EngineError);
    assert.equal(err.message, 'The Vector Tune worker stopped unexpectedly (exit code 1); see the Vector Tune log.');
    assert.ok(
      lines.some((l) => l.startsWith('error: The Vector Tune worker failed: Error: Cannot find module')),
      lines.join('\n'),
    );
    await broken.dispose();
  });

  it('refuses work before configure; dispose releases the worker and later requests are refused', async () => {
    const own = new WorkerClient(WORKER_BUNDLE, () => {});
    const unconfigured = await failure(own.request('index', { folder: photos, batchSize: 4, maxPixels: 1e6 }));
    assert.ok(unconfigured instanceof EngineError && unconfigured.userError);
    assert.match(unconfigured.message, /Vector Tune has no workspace yet/);
    await own.request('configure', config);
    assert.equal((await own.request('loadModel', {})).dimension, 64);
    const started = Date.now();
    await own.dispose();
    assert.ok(Date.now() - started < 2500, 'the worker answered dispose without waiting for the grace period');
    const err = await failure(own.request('storeInfo', {}));
    assert.ok(err instanceof EngineError);
    assert.match(err.message, /shut down/);
  });
});

describe('worker settings', () => {
  it('keeps onnxruntime and libvips to half the cores, without spinning, unless a caller sets its own', () => {
    assert.deepEqual(
      [1, 2, 3, 8, 64].map((cores) => chooseThreadSettings(cores).onnxThreads),
      [1, 1, 1, 4, 4],
    );
    assert.deepEqual(withThreadDefaults({ executionProviders: ['cpu'] }, 2), {
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      executionProviders: ['cpu'],
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    const own = withThreadDefaults(
      { intraOpNumThreads: 8, extra: { session: { intra_op: { allow_spinning: '1' } } } },
      2,
    );
    assert.equal(own.intraOpNumThreads, 8);
    assert.deepEqual(own.extra, { session: { intra_op: { allow_spinning: '1' } } });
  });

  it('passes at most 4 progress updates a second, but always phase changes and the last one', () => {
    let now = 0;
    const sent: number[] = [];
    const progress = throttleProgress(
      (p) => sent.push(p.done),
      () => now,
    );
    for (let done = 0; done <= 100; done++) {
      now = done * 10; // one update every 10 ms for a second
      progress({ done, total: 100, message: '' });
    }
    assert.deepEqual(sent, [0, 25, 50, 75, 100]);
  });
});
