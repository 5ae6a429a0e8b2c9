/**
 * The `searchBatch` request in the BUILT worker (dist/worker.js), as the panel's search box and "more like this"
 * send it: the text goes through the generated model's text encoder, exactly as a prompt start does, so a search
 * for a head's own prompt finds that head's first top batch; and a scored search batch trains the head.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { EngineError } from '../../src/extension/worker-client';
import { failure, startWorkerSession, type WorkerSession } from '../helpers/worker-session';
import { engineConfigFor } from '../helpers/worker-workspace';

let session: WorkerSession;

before(async () => {
  session = await startWorkerSession('vt-worker-search-');
  await session.client.request('configure', engineConfigFor(session.ws, session.modelDir));
  await session.client.request('index', { folder: session.photos, batchSize: 8, maxPixels: 50_000_000 });
});
after(() => session?.close());

const ids = (batch: { candidates: { id: string }[] }) => batch.candidates.map((c) => c.id);

test('a text search ranks like a head started from that text, and shows the open head’s logits', async () => {
  const { client } = session;
  await client.request('startHead', {
    name: 'hat',
    start: { kind: 'prompt', prompt: 'a photo of a hat' },
    overwrite: false,
  });
  const own = await client.request('nextBatch', { k: 6, strategy: 'top' });
  const searched = await client.request('searchBatch', { k: 6, query: { kind: 'text', text: '  a photo of a hat ' } });
  assert.deepEqual(ids(searched), ids(own), 'same text, same encoder: the same six images in the same order');
  // The same numbers up to float32 rounding: the store's scan computes w·x in float32, the search in float64.
  searched.candidates.forEach((c, i) =>
    assert.ok(Math.abs(c.logit - own.candidates[i].logit) < 1e-6, `${c.id}: ${c.logit} vs ${own.candidates[i].logit}`),
  );
  const other = await client.request('searchBatch', { k: 6, query: { kind: 'text', text: 'a pair of shoes' } });
  assert.notDeepEqual(ids(other), ids(own), 'another text finds other images');
});

test('a scored "more like this" batch trains the head and is not found again', async () => {
  const { client } = session;
  const { candidates } = await client.request('nextBatch', { k: 6, strategy: 'top' });
  const source = candidates[0].id;
  const similar = await client.request('searchBatch', { k: 5, query: { kind: 'similar', id: source } });
  assert.equal(similar.candidates.length, 5);
  assert.ok(!ids(similar).includes(source), 'the image itself is not "more like" itself');
  const { head, result } = await client.request('submit', {
    verdicts: similar.candidates.map((c, i) => ({ id: c.id, score: i < 3 ? 1 : null })),
  });
  assert.deepEqual([result.round, result.labelCount, head.seenCount], [1, 3, 5]);
  const again = await client.request('searchBatch', { k: 5, query: { kind: 'similar', id: source } });
  assert.ok(
    ids(again).every((id) => !ids(similar).includes(id)),
    'what was shown is seen',
  );
});

test('bad searches are refused as user errors naming the problem', async () => {
  const { client } = session;
  const empty = await failure(client.request('searchBatch', { k: 5, query: { kind: 'text', text: '  ' } }));
  assert.ok(empty instanceof EngineError && empty.userError);
  assert.match(empty.message, /the search text is empty/);
  const missing = await failure(
    client.request('searchBatch', { k: 5, query: { kind: 'similar', id: 'photos/not-there.jpg' } }),
  );
  assert.match(missing.message, /"photos\/not-there\.jpg" is not in the store/);
  const malformed = await failure(
    client.request('searchBatch', { k: 5, query: { kind: 'sql', text: 'drop' } as never }),
  );
  assert.match(malformed.message, /a search needs/);
  const huge = await failure(client.request('searchBatch', { k: 501, query: { kind: 'text', text: 'hat' } }));
  assert.match(huge.message, /from 1 to 500, got 501/);
});
