/**
 * The held-out AP trend through the BUILT worker (dist/worker.js; run `node esbuild.js` first), as the extension
 * drives it: a head with a held-out folder is measured every `evalEvery` rounds, the figures ride on the rounds of
 * its summary, equal the worker's own Evaluate Head on that folder, and the folder is embedded once.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { relativeToHead, writeHeldOutSpec } from '../../src/core/eval/held-out-config';
import type { WorkerClient } from '../../src/extension/worker-client';
import type { EngineConfig } from '../../src/protocol/worker-protocol';
import { startWorkerSession, type WorkerSession } from '../helpers/worker-session';
import { engineConfigFor, SAMPLE_IMAGES } from '../helpers/worker-workspace';

let session: WorkerSession;
let client: WorkerClient;
let config: EngineConfig;

before(async () => {
  session = await startWorkerSession('vt-worker-held-out-');
  client = session.client;
  config = { ...engineConfigFor(session.ws, session.modelDir), evalEvery: 2 };
  await client.request('configure', config);
  await client.request('index', { folder: session.photos, batchSize: 8, maxPixels: 50_000_000 });
});

after(() => session?.close());

it('measures the open head on its held-out folder every N rounds, as Evaluate Head does, embedding it once', async () => {
  const heldOut = path.join(session.ws, 'held-out');
  await fs.cp(SAMPLE_IMAGES, heldOut, { recursive: true });
  const head = await client.request('startHead', {
    name: 'hats',
    start: { kind: 'prompt', prompt: 'a hat' },
    overwrite: false,
  });
  const headDir = path.dirname(head.weightsFile);
  await writeHeldOutSpec(headDir, { kind: 'folder', folder: relativeToHead(headDir, heldOut), positive: 'hat' });

  const round = async () => {
    const { candidates } = await client.request('nextBatch', { headDir, k: 4, strategy: 'top' });
    const verdicts = candidates.map((c) => ({ id: c.id, score: c.id.includes('/hat/') ? 1 : -1 }));
    return client.request('submit', { headDir, verdicts });
  };
  for (const n of [1, 2, 3, 4]) {
    const { head: summary, result } = await round();
    const last = summary.rounds.at(-1)!;
    assert.equal(last.round, n);
    if (n % 2 === 1) {
      assert.equal(last.heldOut, undefined, `round ${n} is not measured`);
      continue;
    }
    assert.ok(last.heldOut, `round ${n} is measured`);
    assert.deepEqual([last.heldOut.round, last.heldOut.n, last.heldOut.positives], [n, 48, 12]);
    assert.equal(result.notes, undefined);
    const evaluated = await client.request('evaluate', {
      source: { kind: 'folder', folder: heldOut, positive: 'hat' },
      thumbnails: false,
    });
    assert.equal(last.heldOut.averagePrecision, evaluated.averagePrecision, `round ${n}: the AP Evaluate Head gives`);
    assert.equal(last.heldOut.rocAuc, evaluated.rocAuc);
  }
  assert.equal(session.logs.filter((l) => l.includes('Embedding the held-out images')).length, 1, 'embedded once');

  // vectorTune.evalEvery changed: every round now; a broken held-out.json says why and never fails the round.
  await client.request('configure', { ...config, evalEvery: 1 });
  assert.equal((await round()).head.rounds.at(-1)!.heldOut?.round, 5);
  await fs.writeFile(
    path.join(headDir, 'held-out.json'),
    '{"format":"vector-tune-held-out","version":1,"kind":"folder","folder":"../../../held-out","positive":"hats"}',
  );
  const broken = await round();
  assert.equal(broken.result.round, 6, 'the round itself went through');
  assert.equal(broken.head.rounds.at(-1)!.heldOut, undefined);
  assert.match(
    broken.result.notes?.join('\n') ?? '',
    /held-out set was not evaluated: .*held-out\.json: held-out set: .*no record of the 48 evaluated is positive/,
  );
  await client.request('configure', { ...config, evalEvery: 0 });
  await fs.rm(path.join(headDir, 'held-out.json'));
  assert.equal((await round()).head.rounds.at(-1)!.heldOut, undefined, 'evalEvery 0: never');
});
