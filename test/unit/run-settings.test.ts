/**
 * Precision, device and threads as users set them: the CLI's --precision, --device and --threads, and the
 * extension's settings as the built worker receives them (the progress text names how the model runs).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CliIo } from '../../src/cli/command';
import { runCli } from '../../src/cli/main';
import { EngineError } from '../../src/extension/worker-client';
import type { EngineConfig } from '../../src/protocol/worker-protocol';
import { chooseThreadSettings } from '../../src/worker/native-threads';
import { writePrecisionVariants } from '../../tools/generate-model/variants';
import { failure, startWorkerSession, type WorkerSession } from '../helpers/worker-session';
import { engineConfigFor } from '../helpers/worker-workspace';

let session: WorkerSession;

before(async () => {
  session = await startWorkerSession('vt-run-settings-');
  await writePrecisionVariants(session.modelDir, ['q8']);
});
after(() => session?.close());

function cli(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: {} };
  return { io, out, err, run: (args: string[]) => runCli(args, io) };
}

const manifestOf = async (ws: string, store = '.vectortune/store') =>
  JSON.parse(await fs.readFile(path.join(ws, store, 'manifest.json'), 'utf8')) as {
    precision?: string;
    count: number;
  };

describe('the CLI', () => {
  test('bad --precision, --device and --threads are usage errors (exit 2) before any model loads', async () => {
    for (const [args, message] of [
      [['--precision', 'q4'], /--precision q4: use one of fp32, fp16, q8/],
      [['--device', 'tpu'], /--device tpu: use one of auto, cpu, cuda, dml, coreml, webgpu/],
      [['--threads=-1'], /--threads -1: give a number of threads from 1 to 256, or 0 for all cores/],
      [['--threads', 'many'], /--threads many:/],
    ] as const) {
      const c = cli(session.ws);
      assert.equal(await c.run(['index', 'photos', '--model', session.modelDir, ...args]), 2, args.join(' '));
      assert.match(c.err.join('\n'), message);
    }
  });

  test('indexes at q8 on one thread, refuses fp32 into that store (exit 1), and a prompt takes the store precision', async () => {
    const store = '.vectortune/cli-store';
    let c = cli(session.ws);
    const code = await c.run([
      'index',
      'photos',
      '--model',
      session.modelDir,
      '--store',
      store,
      '--precision',
      'q8',
      '--threads',
      '1',
      '--device',
      'auto',
    ]);
    assert.equal(code, 0, c.err.join('\n'));
    const stderr = c.err.join('\n');
    assert.match(stderr, /model: .* \(64-d; q8 on cpu, 1 thread\)/);
    assert.match(stderr, /Device auto: CUDA is not available/);
    const manifest = await manifestOf(session.ws, store);
    assert.equal(manifest.precision, 'q8');

    c = cli(session.ws);
    await fs.copyFile(
      path.join(session.photos, (await fs.readdir(session.photos))[0]),
      path.join(session.photos, 'x.jpg'),
    );
    assert.equal(await c.run(['index', 'photos', '--model', session.modelDir, '--store', store]), 1);
    assert.match(c.err.join('\n'), /holds q8 embeddings.*these are fp32; vectors of two precisions.*--precision q8/s);
    assert.equal((await manifestOf(session.ws, store)).count, manifest.count, 'nothing was added');

    c = cli(session.ws);
    const started = await c.run(['start', 'hat', '--prompt', 'a hat', '--model', session.modelDir, '--store', store]);
    assert.equal(started, 0, c.err.join('\n'));
    assert.match(c.err.join('\n'), /q8 on cpu, onnxruntime's default threads/);
    c = cli(session.ws);
    const args = ['start', 'hat2', '--prompt', 'a hat', '--model', session.modelDir, '--store', store];
    assert.equal(await c.run([...args, '--precision', 'fp32']), 1);
    assert.match(c.err.join('\n'), /a prompt cannot start a head on this store: it holds q8 embeddings/);
  });
});

describe('the worker, configured as the extension does', () => {
  const config = (model: Partial<EngineConfig['model']>): EngineConfig => {
    const base = engineConfigFor(session.ws, session.modelDir);
    return {
      ...base,
      storeDir: path.join(session.ws, '.vectortune', 'worker-store'),
      model: { ...base.model, ...model },
    };
  };
  const index = (onProgress?: (p: { message: string }) => void) =>
    session.client.request(
      'index',
      { folder: session.photos, batchSize: 8, maxPixels: 50_000_000 },
      { ...(onProgress ? { onProgress } : {}) },
    );

  test('names precision, device and threads in the progress text and the log', async () => {
    await session.client.request('configure', config({ precision: 'q8', device: 'auto', threads: 1 }));
    const messages: string[] = [];
    const report = await index((p) => messages.push(p.message));
    assert.ok(report.added > 0);
    assert.ok(
      messages.some((m) => /^Embedded \d+ of \d+ images \([\d.]+\/s.*; q8 on cpu, 1 thread\)$/.test(m)),
      messages.join('\n'),
    );
    assert.ok(
      session.logs.some((l) =>
        /^info: Loading the model .* at q8, device auto \(onnxruntime: 1 intra-op thread/.test(l),
      ),
      session.logs.join('\n'),
    );
    assert.ok(
      session.logs.some((l) => /^warn: Device auto: CUDA is not available/.test(l)),
      'the fallback is logged',
    );
  });

  test('a changed precision reloads the model and is refused by the store; threads 0 means every core', async () => {
    await session.client.request('configure', config({ precision: 'fp32', threads: 0 }));
    await fs.copyFile(
      path.join(session.photos, (await fs.readdir(session.photos))[0]),
      path.join(session.photos, 'y.jpg'),
    );
    const err = await failure(index());
    assert.ok(err instanceof EngineError && err.userError, String(err));
    assert.match(err.message, /holds q8 embeddings.*these are fp32/);
    const cores = chooseThreadSettings(undefined, 0).onnxThreads;
    assert.ok(
      session.logs.some((l) => l.includes(`at fp32, device cpu (onnxruntime: ${cores} intra-op thread`)),
      session.logs.join('\n'),
    );
  });

  test('the default is half the cores (at most 4); 0 is all of them; a number is that number', () => {
    assert.deepEqual(
      [1, 2, 8, 64].map((cores) => chooseThreadSettings(cores).onnxThreads),
      [1, 1, 4, 4],
    );
    assert.equal(chooseThreadSettings(64, 0).onnxThreads, 64);
    assert.equal(chooseThreadSettings(2, 8).onnxThreads, 8);
  });

  test('a malformed configuration is refused', async () => {
    const bad = config({ threads: -2 });
    await assert.rejects(session.client.request('configure', bad), /model\.threads must be null or a whole number/);
  });
});
