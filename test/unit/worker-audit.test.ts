/**
 * The audit sample is never trained on, so the built worker (dist/worker.js; run `node esbuild.js` first) never
 * offers it in a batch: not after the head is opened where its marks do not exist yet (a clone that pulled a
 * teammate's audit.jsonl), and not after Reset Seen.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { auditFileOf, readAudit, writeAudit } from '../../src/core/audit/audit-file';
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

test('the panel draws the audit sample, labels it in batches into audit.jsonl only, and gets the estimates', async () => {
  const labelsBefore = await fs.readFile(head.labelsFile, 'utf8').catch(() => '');
  const drawn = await session.client.request('drawAudit', { headDir, size: 10, seed: 3, replace: true });
  assert.equal(drawn.audit?.size, 10);
  assert.equal(drawn.audit?.scored, 0);
  assert.equal(drawn.audit?.estimates, null, 'no estimates before a record is scored');
  await assert.rejects(
    session.client.request('drawAudit', { headDir, size: 10, seed: 4, replace: false }),
    /already has an audit sample of 10 records/,
  );
  const sample = (await readAudit(auditFileOf(headDir)))!;
  assert.equal(sample.draw.seed, 3, 'a refused draw leaves the sample as it was');

  const first = await session.client.request('auditBatch', { headDir, k: 4, skip: [] });
  assert.deepEqual(
    first.candidates.map((c) => c.id),
    sample.items.slice(0, 4).map((i) => i.id),
    'unscored records in the order drawn',
  );
  assert.equal(first.unscored, 10);
  const [a, b, c, skipped] = first.candidates.map((x) => x.id);
  const scored = await session.client.request('scoreAudit', {
    headDir,
    scores: [
      { id: a, score: 1 },
      { id: b, score: -1 },
      { id: c, score: -0.5 },
      { id: skipped, score: null },
    ],
  });
  assert.equal(scored.audit?.scored, 3);
  const estimates = scored.audit.estimates!;
  assert.equal(estimates.scored, 3);
  assert.equal(estimates.positives, 1);
  assert.ok(
    estimates.prevalence.low < 1 / 3 && 1 / 3 < estimates.prevalence.high,
    'prevalence 1/3 inside its interval',
  );
  assert.equal(scored.labelCount, head.labelCount, 'audit scores are not labels');
  assert.equal(await fs.readFile(head.labelsFile, 'utf8').catch(() => ''), labelsBefore, 'labels.jsonl untouched');
  const onDisk = new Map((await readAudit(auditFileOf(headDir)))!.items.map((i) => [i.id, i.score]));
  assert.deepEqual([onDisk.get(a), onDisk.get(b), onDisk.get(c), onDisk.get(skipped)], [1, -1, -0.5, null]);

  const next = await session.client.request('auditBatch', { headDir, k: 4, skip: [skipped] });
  assert.deepEqual(
    next.candidates.map((x) => x.id),
    sample.items.slice(4, 8).map((i) => i.id),
    'scored and skipped records are not offered again',
  );
  await assert.rejects(
    session.client.request('scoreAudit', { headDir, scores: [{ id: 'not/in/the/sample.jpg', score: 1 }] }),
    /not in the audit sample/,
  );
  const batch = await session.client.request('nextBatch', { headDir, k: 50, strategy: 'top' });
  const inSample = new Set(sample.items.map((i) => i.id));
  assert.deepEqual(
    batch.candidates.filter((x) => inSample.has(x.id)),
    [],
    'a drawn sample is hidden from batches at once',
  );
});

test('scores of audit records in a batch shown before the sample was drawn are not trained on, and the user is told', async () => {
  const shown = (await session.client.request('nextBatch', { headDir, k: 4, strategy: 'top' })).candidates;
  assert.equal(shown.length, 4);
  const drawnSince = shown.slice(0, 2).map((c) => c.id);
  await writeAudit(auditFileOf(headDir), {
    draw: { seed: 9, size: 2, storeCount: head.storeCount, drawnAt: new Date(0).toISOString() },
    items: drawnSince.map((id) => ({ id, score: null })),
  });
  const linesBefore = (await fs.readFile(head.labelsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  const { result } = await session.client.request('submit', {
    headDir,
    verdicts: shown.map((c) => ({ id: c.id, score: 1 })),
  });
  const written = (await fs.readFile(head.labelsFile, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .slice(linesBefore)
    .map((l) => JSON.parse(l) as { id: string });
  assert.deepEqual(
    written.map((l) => l.id),
    shown.slice(2).map((c) => c.id),
    'only the records outside the sample are labelled',
  );
  assert.ok(
    result.notes?.some((n) => /2 image\(s\) of this batch belong to the audit sample/.test(n)),
    JSON.stringify(result.notes),
  );
});
