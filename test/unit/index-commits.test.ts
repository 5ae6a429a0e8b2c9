/**
 * indexFolder commits new images to the store at once for the first batch, then at most once a second (a
 * commit fsyncs three files), while the model embeds the next batches. What was embedded is committed when the run
 * ends, is cancelled, or the model fails part-way; a store that fails is not called again. The generated tiny
 * CLIP, slowed to 400 ms a batch; the embedded store, watched through openStore.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { loadClip, type ClipEncoder } from '../../src/core/embed/clip';
import { indexFolder, type IndexOptions } from '../../src/core/ingest/index-folder';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import type { VectorStore } from '../../src/core/store/types';
import { generateClipModel } from '../../tools/generate-model/generate';
import { tempDir } from '../helpers/temp';
import { listJpegs, SAMPLE_IMAGES } from '../helpers/worker-workspace';

let encoder: ClipEncoder;
let modelDir: string;

before(async () => {
  modelDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-commits-model-'));
  await generateClipModel(modelDir);
  encoder = await loadClip(modelDir);
});
after(async () => {
  await encoder?.dispose();
  await fs.rm(modelDir, { recursive: true, force: true });
});

/** The model, taking 400 ms a batch; `fail` makes batch N (from 1) fail. */
function slowModel(fail?: number): ClipEncoder {
  let batches = 0;
  return {
    ...encoder,
    embedPixels: async (pixels) => {
      await new Promise((r) => setTimeout(r, 400));
      if (++batches === fail) throw new Error(`batch ${batches} failed`);
      return encoder.embedPixels(pixels);
    },
  };
}

/** Indexes the 48 sample photos in batches of 8, recording each commit of new records (size and time). */
async function run(
  t: { after(fn: () => Promise<void>): void },
  options: Partial<IndexOptions> & { failStore?: number; storeDelayMs?: number; events?: string[] },
) {
  const root = await tempDir(t, 'vt-commits-');
  await fs.cp(SAMPLE_IMAGES, path.join(root, 'photos'), { recursive: true });
  const commits: { size: number; at: number }[] = [];
  let upserts = 0;
  const storeDir = path.join(root, 'store');
  const outcome = await indexFolder({
    folder: path.join(root, 'photos'),
    root,
    embedder: encoder,
    batchSize: 8,
    ...options,
    openStore: async (identity) => {
      const store = await EmbeddedStore.openOrCreate(storeDir, identity);
      const watched: VectorStore = Object.create(store) as VectorStore;
      watched.upsert = async (records) => {
        if (++upserts === options.failStore) throw new Error('the store failed');
        // When the commit started: indexFolder spaces the starts (an fsync may take a while on a busy machine).
        const at = performance.now();
        if (records.length > 0) options.events?.push('commit starts');
        if (options.storeDelayMs) await new Promise((r) => setTimeout(r, options.storeDelayMs));
        await store.upsert(records);
        if (records.length > 0) options.events?.push('commit written');
        if (records.length > 0) commits.push({ size: records.length, at }); // not the (empty) replacements
      };
      return watched;
    },
  }).catch((err: Error) => err);
  const reader = await EmbeddedStore.open(storeDir, undefined, 'read');
  const stored = await reader.count();
  await reader.close();
  return { outcome, commits, upserts, stored };
}

/** What a run's outcome says went wrong, for assertion messages. */
function errorOf(outcome: unknown): string {
  return outcome instanceof Error ? outcome.message : 'no error';
}

test('the first batch is committed at once, then at most once a second, and the rest when the run ends', async (t) => {
  const photos = (await listJpegs(SAMPLE_IMAGES)).length;
  const { outcome, commits, stored } = await run(t, { embedder: slowModel() });
  assert.ok(!(outcome instanceof Error), errorOf(outcome));
  assert.equal(outcome.added, photos);
  assert.equal(stored, photos);
  assert.equal(commits[0].size, 8, 'the first batch alone');
  assert.ok(commits.length < photos / 8, `${commits.length} commits for ${photos / 8} batches`);
  for (let i = 1; i < commits.length - 1; i++)
    assert.ok(
      commits[i].at - commits[i - 1].at >= 1000,
      `commit ${i} came ${commits[i].at - commits[i - 1].at} ms after the one before`,
    );
});

test('what was embedded is committed when the run is cancelled or the model fails, not when the store fails', async (t) => {
  const controller = new AbortController();
  const cancelled = await run(t, {
    embedder: slowModel(),
    signal: controller.signal,
    onProgress: (p) => p.done >= 16 && controller.abort(),
  });
  assert.ok(!(cancelled.outcome instanceof Error), errorOf(cancelled.outcome));
  assert.equal(cancelled.outcome.cancelled, true);
  assert.equal(cancelled.outcome.added, 16);
  assert.equal(cancelled.stored, 16, 'both batches, the second one not yet committed when the cancel came');

  const failed = await run(t, { embedder: slowModel(4) });
  assert.match(errorOf(failed.outcome), /batch 4 failed/);
  assert.equal(failed.stored, 24, 'the three batches before the failing one');

  const storeFailed = await run(t, { embedder: slowModel(), failStore: 2 });
  assert.match(errorOf(storeFailed.outcome), /the store failed/);
  assert.equal(storeFailed.upserts, 2, 'not tried again after it failed');
  assert.equal(storeFailed.stored, 8);
});

test('the model embeds the next batch while a commit is being written, and the run waits for the last one', async (t) => {
  const events: string[] = [];
  const model = slowModel();
  const watchedModel: ClipEncoder = {
    ...model,
    embedPixels: (pixels) => {
      events.push('model runs');
      return model.embedPixels(pixels);
    },
  };
  const photos = (await listJpegs(SAMPLE_IMAGES)).length;
  // A store as slow as a busy disk or a Pinecone request: 600 ms a commit, longer than a batch (400 ms).
  const { outcome, stored } = await run(t, { embedder: watchedModel, storeDelayMs: 600, events });
  assert.ok(!(outcome instanceof Error), errorOf(outcome));
  assert.equal(stored, photos);
  const firstStart = events.indexOf('commit starts');
  const firstWritten = events.indexOf('commit written');
  assert.ok(
    events.slice(firstStart, firstWritten).includes('model runs'),
    `the model waited for the first commit: ${events.join(', ')}`,
  );
  assert.equal(events.at(-1), 'commit written', 'the run ended before its last commit was written');
  // One commit at a time: every start is followed by its write before the next start.
  const commitEvents = events.filter((e) => e !== 'model runs');
  for (let i = 0; i < commitEvents.length; i += 2)
    assert.deepEqual(commitEvents.slice(i, i + 2), ['commit starts', 'commit written'], commitEvents.join(', '));
});
