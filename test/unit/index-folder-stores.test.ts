/**
 * Incremental indexing is written against the VectorStore interface: the same run on the embedded store
 * and on a Pinecone index (the local stand-in) must add, skip, replace and drop the same records, and never
 * touch records outside the indexed folder (a sibling folder sharing the name's prefix, imported records).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadClip, type ClipEncoder } from '../../src/core/embed/clip';
import { indexFolder } from '../../src/core/ingest/index-folder';
import type { StoreIdentity } from '../../src/core/store/types';
import { openOrCreateStore, openStore, type StoreLocation } from '../../src/core/store/store-location';
import type { VectorStore } from '../../src/core/store/types';
import { generateClipModel } from '../../tools/generate-model/generate';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { tempDir } from '../helpers/temp';
import { listJpegs, SAMPLE_IMAGES } from '../helpers/worker-workspace';

let encoder: ClipEncoder;
let fake: FakePinecone;
let modelRoot: string;
let serial = 0;

before(async () => {
  modelRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-ifs-'));
  await generateClipModel(path.join(modelRoot, 'model'));
  encoder = await loadClip(path.join(modelRoot, 'model'), { allowDownload: false });
  fake = await startFakePinecone();
});
after(async () => {
  await encoder?.dispose();
  await fake?.close();
  await fs.rm(modelRoot, { recursive: true, force: true });
});

async function ids(store: VectorStore): Promise<string[]> {
  const out: string[] = [];
  for await (const id of store.ids()) out.push(id);
  return out.sort();
}

function storeContract(name: string, location: (root: string) => StoreLocation): void {
  describe(`indexFolder on ${name}`, () => {
    test('adds, skips unchanged, replaces changed and drops deleted files of that folder only', async (t) => {
      const root = await tempDir(t);
      const where = location(root);
      const run = (folder: string) =>
        indexFolder({
          folder: path.join(root, folder),
          root,
          embedder: encoder,
          batchSize: 8,
          openStore: (identity: StoreIdentity) => openOrCreateStore(where, identity),
        });
      await fs.cp(path.join(SAMPLE_IMAGES, 'hat'), path.join(root, 'photos'), { recursive: true });
      await fs.cp(path.join(SAMPLE_IMAGES, 'shoes'), path.join(root, 'photos2'), { recursive: true });
      const photos = await listJpegs(path.join(root, 'photos'));
      const first = await run('photos');
      assert.deepEqual([first.added, first.updated, first.unchanged, first.removed], [photos.length, 0, 0, 0]);
      const siblings = await run('photos2');
      // An imported record whose path lies in the folder but whose id does not: indexing leaves it alone.
      const store = await openStore(where);
      const [one] = await store.fetch([`photos/${path.basename(photos[0])}`]);
      await store.upsert([{ ...one, id: 'imported-row-7' }]);
      await store.close();

      const again = await run('photos');
      assert.deepEqual([again.added, again.updated, again.unchanged, again.removed], [0, 0, photos.length, 0]);
      // Same bytes, new mtime: unchanged (by hash). New bytes: replaced. Gone: dropped. New: added.
      await fs.utimes(photos[0], new Date(), new Date(Date.now() - 60_000));
      await fs.copyFile(photos[2], photos[1]);
      await fs.rm(photos[3]);
      await fs.copyFile(photos[2], path.join(root, 'photos', 'new.jpg'));
      const changed = await run('photos');
      assert.deepEqual(
        [changed.added, changed.updated, changed.unchanged, changed.removed],
        [1, 1, photos.length - 2, 1],
      );
      const expected = [
        ...photos.filter((f) => f !== photos[3]),
        path.join(root, 'photos', 'new.jpg'),
        ...(await listJpegs(path.join(root, 'photos2'))),
      ]
        .map((f) => path.relative(root, f).split(path.sep).join('/'))
        .concat('imported-row-7')
        .sort();
      const after = await openStore(where);
      assert.deepEqual(
        await ids(after),
        expected,
        `photos2/ (${siblings.added} records) and the imported row are kept`,
      );
      const [replaced] = await after.fetch([`photos/${path.basename(photos[1])}`]);
      const [source] = await after.fetch([`photos/${path.basename(photos[2])}`]);
      assert.deepEqual(Array.from(replaced.vector), Array.from(source.vector), 'the changed file was embedded again');
      await after.close();
    });
  });
}

storeContract('the embedded store', (root) => ({ kind: 'embedded', dir: path.join(root, '.vectortune', 'store') }));
storeContract('a Pinecone index (local stand-in)', () => ({
  kind: 'pinecone',
  connection: {
    apiKey: fake.apiKey,
    indexName: `index-folder-${++serial}`,
    controllerHostUrl: fake.controllerHostUrl,
    timeoutMs: 2000,
    baseDelayMs: 10,
  },
}));
