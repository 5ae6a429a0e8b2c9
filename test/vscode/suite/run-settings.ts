/**
 * The model settings in a real VS Code: with vectorTune.precision q8, vectorTune.threads 1 and
 * vectorTune.device auto, Index Folder builds a q8 store and its progress names how the model runs; set back
 * to fp32, indexing into that store is refused with a message saying how to re-index. The workspace's
 * generated model has fp16 and q8 files (test/vscode/run.ts).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS shared with the extension host's test loader
const driver = require('../../../tools/vscode-test/ext/driver-client.js');

type Suite = { test(name: string, fn: () => Promise<void>, options?: { timeoutMs?: number }): void };
/** It loads the q8 model and indexes twice: on a loaded machine that took 12-20 s, the suite's default budget. */
const TIMEOUT_MS = 60_000;

const STORE = '.vectortune/store-q8';
const SETTINGS = ['storeLocation', 'precision', 'threads', 'device'] as const;

export function runSettingsTest(suite: Suite, api: () => VectorTuneApi): void {
  suite.test(
    'precision q8, one thread, device auto: a q8 store, named in the progress; fp32 into it is refused',
    async () => {
      const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
      const images = vscode.Uri.file(path.join(root, 'images'));
      const config = () => vscode.workspace.getConfiguration('vectorTune');
      const before = SETTINGS.map((k) => [k, config().inspect(k)?.workspaceValue] as const);
      const extra = path.join(root, 'images', 'hat', 'precision-extra.jpg');
      const set = async (key: (typeof SETTINGS)[number], value: unknown) =>
        config().update(key, value, vscode.ConfigurationTarget.Workspace);
      try {
        await set('storeLocation', STORE);
        await set('precision', 'q8');
        await set('threads', 1);
        await set('device', 'auto');
        await vscode.commands.executeCommand('vectorTune.indexFolder', images);
        const report = api().ctx.lastIndexReport!;
        // The head open before cannot be opened on the new, empty store: it is closed, and the panel stops showing
        // it (it kept the closed head's batch, beside a status bar saying no head was open).
        assert.equal(api().ctx.head, undefined, 'the head was closed');
        for (let i = 0; i < 50 && 'head' in api().panel.currentState; i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(!('head' in api().panel.currentState), `the panel shows ${api().panel.currentState.kind}`);
        assert.ok(report.added > 0, `indexed (last error: ${api().ctx.lastError})`);
        const manifest = JSON.parse(await fs.readFile(path.join(root, STORE, 'manifest.json'), 'utf8'));
        assert.equal(manifest.precision, 'q8');
        assert.equal(manifest.count, report.added);
        assert.match(
          api().ctx.lastProgressMessage ?? '',
          /^Embedded \d+ of \d+ images \([\d.]+\/s.*; q8 on cpu, 1 thread\), about \d+ s left$/,
        );

        await set('precision', 'fp32');
        const photo = (await fs.readdir(path.join(root, 'images', 'hat'))).find((f) => f.endsWith('.jpg'))!;
        await fs.copyFile(path.join(root, 'images', 'hat', photo), extra);
        await vscode.commands.executeCommand('notifications.clearAll');
        await vscode.commands.executeCommand('vectorTune.indexFolder', images);
        assert.match(
          api().ctx.lastError ?? '',
          /holds q8 embeddings .*these are fp32; vectors of two precisions cannot be mixed.*vectorTune\.precision/s,
        );
        const after = JSON.parse(await fs.readFile(path.join(root, STORE, 'manifest.json'), 'utf8'));
        assert.equal(after.count, manifest.count, 'nothing was added');
        if (driver.available()) {
          // The notification centre lists the message whether or not its toast is still up: under load the toast
          // was sometimes gone (or collapsed behind another) before the driver looked (1 run in 9, and one CI run).
          await vscode.commands.executeCommand('notifications.showList');
          assert.match(await driver.call('notificationsText', { contains: 'two precisions' }), /two precisions/);
          await driver.call('screenshot', { name: 'precision-refused' });
          await vscode.commands.executeCommand('notifications.hideList');
        }
      } finally {
        for (const [key, value] of before) await set(key, value);
        await fs.rm(extra, { force: true });
      }
    },
    { timeoutMs: TIMEOUT_MS },
  );
}
