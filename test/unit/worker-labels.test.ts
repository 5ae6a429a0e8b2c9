/**
 * The head's labels through the BUILT worker (dist/worker.js; run `node esbuild.js` first), as the extension
 * drives it: labels.jsonl edited, cut, appended to and replaced between rounds, relabels and removals, the
 * Labelled view's records, rebuild. After every step the weights are a replay of the labels file.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import type { WorkerClient } from '../../src/extension/worker-client';
import type { HeadSummary } from '../../src/protocol/worker-protocol';
import { assertWeightsReplayLabels } from '../helpers/replay-check';
import { startWorkerSession, type WorkerSession } from '../helpers/worker-session';
import { engineConfigFor } from '../helpers/worker-workspace';

let session: WorkerSession;
let client: WorkerClient;
let head: HeadSummary;
let headDir: string;

before(async () => {
  session = await startWorkerSession('vt-worker-labels-');
  client = session.client;
  const config = engineConfigFor(session.ws, session.modelDir);
  await client.request('configure', { ...config, annotator: { record: true, name: 'panel@example.com' } });
  await client.request('index', { folder: session.photos, batchSize: 8, maxPixels: 50_000_000 });
  head = await client.request('startHead', {
    name: 'hats',
    start: { kind: 'prompt', prompt: 'a hat' },
    overwrite: false,
  });
  headDir = path.dirname(head.weightsFile);
});

after(() => session?.close());

/** One round: the next 4, the first two scored +1, the rest -1. */
async function round() {
  const { candidates, notes } = await client.request('nextBatch', { headDir, k: 4, strategy: 'top' });
  const verdicts = candidates.map((c, i) => ({ id: c.id, score: i < 2 ? 1 : -1 }));
  const submitted = await client.request('submit', { headDir, verdicts });
  return { batchNotes: notes, ...submitted };
}

async function lines(): Promise<string[]> {
  return (await fs.readFile(head.labelsFile, 'utf8')).split('\n').filter((l) => l !== '');
}

/** The store read-only beside the worker, which holds it for writing. */
async function checkReplay(why: string): Promise<void> {
  const store = await EmbeddedStore.open(path.join(session.ws, '.vectortune', 'store'), undefined, 'read', {
    search: false,
  });
  try {
    await assertWeightsReplayLabels(headDir, store, why);
  } finally {
    await store.close();
  }
}

describe("a head's labels through the worker", () => {
  it('takes every outside change of labels.jsonl before the next batch, tells it once, and stays a replay of the file', async () => {
    await round();
    await round();
    await checkReplay('two rounds');
    assert.ok(
      (await lines()).every((l) => JSON.parse(l).by === 'panel@example.com'),
      'by: the configured annotator',
    );

    const edits: [string, (l: string[]) => string[], number][] = [
      ['a score edited', (l) => l.map((x, i) => (i === 1 ? x.replace(/"score":(-?)1/, '"score":$10') : x)), 8],
      ['lines deleted', (l) => [...l.slice(0, 2), ...l.slice(6)], 8],
      ['a line appended (a second score for a record)', (l) => [...l, l[0].replace('"score":1', '"score":-0.5')], 12],
      ['the file replaced', (l) => l.slice(0, 1), 1],
    ];
    for (const [what, edit, expected] of edits) {
      await fs.writeFile(head.labelsFile, edit(await lines()).join('\n') + '\n');
      const r = await round();
      assert.deepEqual(r.batchNotes, [`labels.jsonl changed on disk: retrained from ${expected} labels.`], what);
      assert.equal(r.result.notes, undefined, `${what}: told once (at the batch, not again at the submit)`);
      await checkReplay(what);
    }
    // Changed between the batch and the submit: the submit takes it, and says so.
    const { candidates } = await client.request('nextBatch', { headDir, k: 4, strategy: 'top' });
    await fs.rm(head.labelsFile);
    const { result } = await client.request('submit', {
      headDir,
      verdicts: candidates.map((c) => ({ id: c.id, score: -1 })),
    });
    assert.deepEqual(result.notes, ['labels.jsonl changed on disk: retrained from 0 labels.']);
    await checkReplay('the file deleted between batch and submit');
    const quiet = await client.request('syncLabels', { headDir });
    assert.deepEqual(quiet.notes, [], 'nothing changed since');
  });

  it('lists labelled records by disagreement, relabels and removes (append-only), and rebuilds', async () => {
    await round();
    await round();
    const { records } = await client.request('labelled', { headDir, order: 'disagreement' });
    assert.equal(records.length, 12);
    for (let i = 1; i < records.length; i++) assert.ok(records[i - 1].disagreement >= records[i].disagreement);
    const byRound = (await client.request('labelled', { headDir, order: 'round' })).records;
    assert.deepEqual(
      byRound.map((r) => r.round),
      [...byRound.map((r) => r.round)].sort((a, b) => b - a),
    );
    const before = await lines();
    const [worst, next] = records;
    const changed = await client.request('changeLabels', {
      headDir,
      changes: [
        { id: worst.id, score: -worst.score },
        { id: next.id, score: null },
      ],
    });
    assert.equal(changed.head.labelCount, 11);
    assert.ok(changed.ms >= 0);
    const after = await lines();
    assert.deepEqual(after.slice(0, before.length), before);
    assert.equal(after.length, before.length + 2);
    await checkReplay('after a relabel and a removal');
    const relisted = (await client.request('labelled', { headDir, order: 'round' })).records;
    assert.equal(relisted.find((r) => r.id === worst.id)?.score, -worst.score);
    assert.ok(!relisted.some((r) => r.id === next.id));

    const rebuilt = await client.request('rebuildHead', { headDir });
    assert.equal(rebuilt.head.labelCount, 11);
    await checkReplay('after rebuild');
    await assert.rejects(client.request('labelled', { headDir, order: 'name' as 'round' }), /unknown order "name"/);
  });

  it("lists annotators' disagreements and kappa with the labelled records, and settles one by the panel's user", async () => {
    await round();
    const mine = (await lines()).map((l) => JSON.parse(l)).filter((l) => l.by === 'panel@example.com' && !l.removed);
    // A teammate's lines, as a merge=union merge brings them in: opposite scores on two of the panel user's images.
    const theirs = mine.slice(0, 2).map((l) => ({ ...l, score: -l.score, by: 'mate@example.com', time: 'theirs' }));
    await fs.appendFile(head.labelsFile, theirs.map((l) => JSON.stringify(l) + '\n').join(''));
    const { agreement } = await client.request('labelled', { headDir, order: 'round' });
    assert.deepEqual(agreement.annotators, ['mate@example.com', 'panel@example.com']);
    assert.deepEqual(agreement.pairs, [{ a: 'mate@example.com', b: 'panel@example.com', shared: 2, kappa: null }]);
    assert.deepEqual(agreement.disagreements.map((d) => [d.id, d.size]).sort(), theirs.map((l) => [l.id, 2]).sort());
    await client.request('changeLabels', { headDir, changes: [{ id: theirs[0].id, score: 0.5, settle: true }] });
    const last = JSON.parse((await lines()).at(-1)!);
    assert.deepEqual([last.id, last.score, last.by, last.settled], [theirs[0].id, 0.5, 'panel@example.com', true]);
    await checkReplay('after a settle');
    const settled = (await client.request('labelled', { headDir, order: 'round' })).agreement.disagreements;
    assert.deepEqual(
      settled.map((d) => [d.id, d.settled?.score ?? null]),
      [
        [theirs[1].id, null],
        [theirs[0].id, 0.5],
      ],
    );
  });
});
