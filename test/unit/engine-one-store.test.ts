/**
 * One store per process (issue 14): the worker's engine indexes through the store it already holds. Driven in this
 * process (not the bundled worker) so that every opening of an embedded store can be counted: before, indexing
 * opened a second store beside the head's (a second copy of every code in memory) and reopened the store after it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { Engine } from '../../src/worker/engine';
import type { RequestContext } from '../../src/worker/request-context';
import { generateClipModel } from '../../tools/generate-model/generate';
import { engineConfigFor, listJpegs, recordId, SAMPLE_IMAGES } from '../helpers/worker-workspace';

let tmp: string;
let ws: string;
let engine: Engine;
let opens = 0;
const open = EmbeddedStore.open.bind(EmbeddedStore);

const context: RequestContext = { signal: new AbortController().signal, progress: () => undefined };

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-engine-store-'));
  ws = path.join(tmp, 'ws');
  const modelDir = path.join(tmp, 'model');
  await generateClipModel(modelDir);
  // Two folders of photos: one indexed before the head starts, one while it is open.
  await fs.cp(path.join(SAMPLE_IMAGES, 'hat'), path.join(ws, 'first'), { recursive: true });
  await fs.cp(path.join(SAMPLE_IMAGES, 'shoes'), path.join(ws, 'second'), { recursive: true });
  EmbeddedStore.open = (...args: Parameters<typeof EmbeddedStore.open>) => {
    opens++;
    return open(...args);
  };
  engine = new Engine(() => undefined);
  await engine.configure(engineConfigFor(ws, modelDir));
});

after(async () => {
  EmbeddedStore.open = open;
  await engine?.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

test("indexing while a head is open writes through the engine's one store, and the head sees the new images at once", async () => {
  const first = await engine.index({ folder: path.join(ws, 'first'), batchSize: 4, maxPixels: 50_000_000 }, context);
  assert.ok(first.added > 0);
  const [example] = await listJpegs(path.join(ws, 'first'));
  const { storeCount } = await engine.startHead({
    name: 'hats',
    start: { kind: 'examples', ids: [recordId(ws, example)] },
    overwrite: false,
  });
  assert.equal(storeCount, first.added);

  const second = await engine.index({ folder: path.join(ws, 'second'), batchSize: 4, maxPixels: 50_000_000 }, context);
  assert.ok(second.added > 0);
  const all = first.added + second.added;
  const { head, candidates } = await engine.nextBatch({ k: all, strategy: 'top' });
  assert.equal(head.storeCount, all, 'the open head counts the images indexed while it was open');
  const shoes = new Set((await listJpegs(path.join(ws, 'second'))).map((f) => recordId(ws, f)));
  assert.equal(candidates.filter((c) => shoes.has(c.id)).length, second.added, 'and can be shown every one of them');
  assert.equal(opens, 1, 'the store was opened once: by the first index run, then held');
});
