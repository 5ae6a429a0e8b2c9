/**
 * The audit sample is never trained on, so the built worker (dist/worker.js; run `node esbuild.js` first) never
 * offers it in a batch: not after the head is opened where its marks do not exist yet (a clone that pulled a
 * teammate's audit.jsonl), and not after Reset Seen.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { auditFileOf, writeAudit } from '../../src/core/audit/audit-file';
import type { HeadSummary } from '../../src/protocol/worker-protocol';
import { startWorkerSession, type WorkerSession } from '../helpers/worker-session';
import { engineConfigFor } from '../helpers/worker-workspace';

let session: WorkerSession;
let head: HeadSummary;
let headDir: string;

before(async () => {
  session = await startWorkerSession('vt-worker-audit-');
  await session.client.request('configure', engineConfigFor(session.ws, session.modelDir));
  await session.client.request('index', { folder: session.photos, batchSize: 8, maxPixels: 50_000_000 });
  head = await session.client.request('startHead', {
    name: 'hats',
    start: { kind: 'prompt', prompt: 'a hat' },
    overwrite: false,
  });
  headDir = path.dirname(head.weightsFile);
});
after(() => session?.close());

const batchIds = async () =>
  (await session.client.request('nextBatch', { headDir, k: 6, strategy: 'top' })).candidates.map((c) => c.id);

test('records of the audit sample are not offered after opening the head, nor after Reset Seen', async () => {
  const top = await batchIds();
  assert.equal(top.length, 6);
  // The sample a teammate drew and committed: this workspace has no marks for it yet.
  const audit = top.slice(0, 3);
  await writeAudit(auditFileOf(headDir), {
    draw: { seed: 1, size: audit.length, storeCount: head.storeCount, drawnAt: new Date(0).toISOString() },
    items: audit.map((id) => ({ id, score: null })),
  });
  await session.client.request('openHead', { headDir });
  const afterOpen = await batchIds();
  assert.deepEqual(
    afterOpen.filter((id) => audit.includes(id)),
    [],
    'opening the head hides the audit sample from batches',
  );
  assert.deepEqual(afterOpen.slice(0, 3), top.slice(3), 'the rest of the ranking is unchanged');

  await session.client.request('resetSeen', {});
  assert.deepEqual(
    (await batchIds()).filter((id) => audit.includes(id)),
    [],
    'Reset Seen shows skipped records again, never the audit sample',
  );
});
