import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkerClient } from '../../src/extension/worker-client';
import { generateClipModel } from '../../tools/generate-model/generate';
import { makePhotoWorkspace, WORKER_BUNDLE } from './worker-workspace';

/** What the worker test files share: a photo workspace, a generated model and a client of the built worker. */
export interface WorkerSession {
  tmp: string;
  ws: string;
  photos: string;
  modelDir: string;
  client: WorkerClient;
  /** Every line the worker logged, as `level: message`. */
  logs: string[];
  close(): Promise<void>;
}

/** Needs dist/worker.js (`node esbuild.js`); the tests drive the bundle the extension ships. */
export async function startWorkerSession(prefix: string): Promise<WorkerSession> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const modelDir = path.join(tmp, 'model');
  const ws = path.join(tmp, 'ws');
  await generateClipModel(modelDir);
  const { photos } = await makePhotoWorkspace(ws);
  await fs
    .access(WORKER_BUNDLE)
    .catch(() => assert.fail(`${WORKER_BUNDLE} is missing: run "node esbuild.js" before this test`));
  const logs: string[] = [];
  const client = new WorkerClient(WORKER_BUNDLE, (level, message) => logs.push(`${level}: ${message}`));
  return {
    tmp,
    ws,
    photos,
    modelDir,
    client,
    logs,
    async close() {
      await client.dispose();
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Rejects with what `promise` rejected with, or fails the test if it resolved. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  return assert.fail('expected the request to fail');
}
