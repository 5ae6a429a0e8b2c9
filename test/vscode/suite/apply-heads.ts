/**
 * Apply Heads to Folder in the real VS Code: declared for the palette and the Explorer's folder menu, run in the
 * worker, the predictions file opened in an editor; and the Explorer's call shape (a folder and the selection).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const driver = require('../../../tools/vscode-test/ext/driver-client.js');

type Suite = { test(name: string, fn: (t: { skip(reason: string): void }) => Promise<void>): void };
type Until = <T>(what: string, probe: () => T | Promise<T>, timeoutMs?: number) => Promise<NonNullable<T>>;

export function applyHeadsTest(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  suite.test('Apply Heads to Folder writes a row per photo with each head and opens the file', async () => {
    const manifest = vscode.extensions.getExtension('vector-tune.vector-tune')!.packageJSON.contributes;
    assert.ok(
      manifest.menus['explorer/context'].some((m: { submenu?: string }) => m.submenu === 'vectorTune.explorer') &&
        manifest.menus['vectorTune.explorer'].some(
          (m: { command: string; when: string }) =>
            m.command === 'vectorTune.applyHeads' && m.when === 'explorerResourceIsFolder',
        ),
      "on the Explorer's folder menu, in its Vector Tune submenu",
    );
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const heads = api().ctx.head ? [api().ctx.head!.name] : [];
    assert.equal(heads.length, 1, 'a head is open (started earlier in the suite)');
    const images = path.join(root, 'images');
    const out = path.join('predictions', 'images.csv');
    await vscode.commands.executeCommand('vectorTune.applyHeads', vscode.Uri.file(images), { heads, out });
    const report = api().ctx.lastPrediction;
    assert.ok(report, `the prediction ran (last error: ${api().ctx.lastError})`);
    const photos = (await fs.readdir(images, { recursive: true })).filter((f) => String(f).endsWith('.jpg')).length;
    assert.equal(report.predicted, photos - 1, 'every photo but the broken one');
    assert.deepEqual(
      report.failed.map((f) => f.path),
      ['images/broken.jpg'],
    );
    // The default threshold is the head's calibrated one when it has one; this head has none: logit 0, said so.
    assert.deepEqual(
      report.heads.map((h) => h.thresholdFrom),
      ['logit 0'],
    );
    const lines = (await fs.readFile(path.join(root, out), 'utf8')).trim().split('\n');
    assert.equal(lines[0], `path,${heads[0]}_logit,${heads[0]}_probability,${heads[0]}_positive`);
    assert.equal(lines.length, report.predicted + 1);
    const editor = await until('the predictions file in an editor', () =>
      vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === path.join(root, out)),
    );
    assert.equal(editor.document.lineCount, lines.length + 1);
    if (driver.available()) {
      assert.match(
        // "images with" is the final message's: the progress toast ("Predicted 24 of 41 images (69.4/s ...") can
        // still be up for VS Code's minimum of 800 ms, and it says "Predicted" too.
        await driver.call('notificationsText', { contains: 'images with' }),
        new RegExp(`Predicted \\d+ of \\d+ images with ${heads[0]} at logit 0`),
      );
      await driver.call('screenshot', { name: 'apply-heads' });
    }
  });
}
