/**
 * Runs the extension's integration suite inside a real VS Code (code-server 1.100.3 + Chromium, offline),
 * through tools/vscode-test. Prepares a throwaway workspace: a few dozen real photos from
 * ../shared/data/clothing (the repo's samples when ../shared is absent), one broken image, and settings
 * that point Vector Tune at a generated CLIP-layout model.
 *
 *   npx tsx test/vscode/run.ts              the extension from this repo (extensionDevelopmentPath)
 *   npx tsx test/vscode/run.ts --vsix FILE  the packaged extension, installed into the test VS Code as a user
 *                                           would; an empty host extension stands in as the development path
 *   npx tsx test/vscode/run.ts --electron   desktop VS Code through @vscode/test-electron (downloads VS Code:
 *                                           for contributors with internet; tests needing the page driver skip)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateClipModel } from '../../tools/generate-model/generate';
import { writePrecisionVariants } from '../../tools/generate-model/variants';
import { startFakePinecone } from '../helpers/fake-pinecone';
import { REPO_ROOT, SHARED_DATA } from '../helpers/temp';
import { PINECONE_KEY_VAR, PINECONE_URL_VAR } from './pinecone-env';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the runner is plain CommonJS (tools/vscode-test runs without a TypeScript build); its types come from the JSDoc
const { runVsCodeTests } = require('../../tools/vscode-test/run.js') as typeof import('../../tools/vscode-test/run');

const RESULTS = path.join(REPO_ROOT, 'test-results');

async function photos(): Promise<{ dir: string; perClass: number }> {
  const shared = path.join(SHARED_DATA, 'clothing', 'test');
  const exists = await fs.stat(shared).then(
    () => true,
    () => false,
  );
  return exists
    ? { dir: shared, perClass: 4 }
    : { dir: path.join(REPO_ROOT, 'samples', 'clothing', 'images'), perClass: 4 };
}

async function prepareWorkspace(root: string, modelDir: string): Promise<void> {
  const { dir, perClass } = await photos();
  for (const cls of (await fs.readdir(dir)).sort()) {
    const files = (await fs.readdir(path.join(dir, cls)))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .slice(0, perClass);
    await fs.mkdir(path.join(root, 'images', cls), { recursive: true });
    for (const f of files) await fs.copyFile(path.join(dir, cls, f), path.join(root, 'images', cls, f));
  }
  await fs.writeFile(path.join(root, 'images', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]));
  await fs.mkdir(path.join(root, '.vscode'), { recursive: true });
  await fs.writeFile(
    path.join(root, '.vscode', 'settings.json'),
    JSON.stringify(
      { 'vectorTune.model': modelDir, 'vectorTune.allowModelDownload': false, 'vectorTune.batchSize': 8 },
      null,
      2,
    ),
  );
}

/** Files under `dir` that hold `secret` (the harness keeps the workbench's and the server's logs there). */
async function filesHolding(dir: string, secret: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries.filter((e) => e.isFile())) {
    const file = path.join(e.parentPath, e.name);
    if ((await fs.readFile(file)).includes(secret)) found.push(file);
  }
  return found;
}

async function main(): Promise<number> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-vscode-'));
  // A local stand-in of Pinecone's API for the suite's Pinecone test, with a key made for this run.
  const pineconeKey = `pcsk_suite_${randomBytes(12).toString('hex')}`;
  const pinecone = await startFakePinecone({ apiKey: pineconeKey });
  const pineconeEnv = { [PINECONE_URL_VAR]: pinecone.controllerHostUrl, [PINECONE_KEY_VAR]: pineconeKey };
  try {
    const modelDir = path.join(tmp, 'model');
    await generateClipModel(modelDir);
    await writePrecisionVariants(modelDir, ['fp16', 'q8']); // for the precision setting's test
    const workspace = path.join(tmp, 'workspace');
    await prepareWorkspace(workspace, modelDir);
    if (process.argv.includes('--electron')) {
      const electron = spawnSync(
        process.execPath,
        [
          path.join(REPO_ROOT, 'tools', 'vscode-test', 'run-electron.js'),
          '--extension-development-path',
          REPO_ROOT,
          '--extension-tests-path',
          path.join(REPO_ROOT, 'dist', 'test', 'vscode-suite.js'),
          '--workspace',
          workspace,
        ],
        { stdio: 'inherit', env: { ...process.env, ...pineconeEnv } },
      );
      return electron.status ?? 1;
    }
    const vsixAt = process.argv.indexOf('--vsix');
    const vsix = vsixAt > 0 ? path.resolve(process.argv[vsixAt + 1]) : undefined;
    const screenshotDir = path.join(RESULTS, vsix ? 'vscode-vsix' : 'vscode');
    const code = await runVsCodeTests({
      extensionDevelopmentPath: vsix ? path.join(__dirname, 'vsix-host') : REPO_ROOT,
      installExtensions: vsix ? [vsix] : [],
      extensionTestsPath: path.join(REPO_ROOT, 'dist', 'test', 'vscode-suite.js'),
      workspaceFolder: workspace,
      driver: path.join(__dirname, 'driver.js'),
      screenshotDir,
      timeoutMs: 300_000,
      verbose: process.argv.includes('--verbose'),
      env: pineconeEnv,
    });
    // The suite searched the workspace, the user data folder and the extension's log; the workbench's own
    // logs only reach the results folder after the run.
    const leaks = await filesHolding(screenshotDir, pineconeKey);
    if (leaks.length > 0) {
      console.error(`the Pinecone test key was found in: ${leaks.join(', ')}`);
      return code || 1;
    }
    // The panel screenshot a person looks at: published under a stable name.
    const shots = await fs.readdir(screenshotDir).catch(() => [] as string[]);
    const panelShot = shots.filter((s) => s.endsWith('-panel-scored.png')).pop();
    if (panelShot && !vsix) await fs.copyFile(path.join(screenshotDir, panelShot), path.join(RESULTS, 'panel.png'));
    return code;
  } finally {
    await pinecone.close();
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
