/**
 * The held-out AP trend in a real VS Code: Set Held-out Set... writes the open head's held-out.json (a folder of the
 * workspace's photos in class sub-folders), vectorTune.evalEvery 1 measures the head after each round scored in the
 * panel, the AP equals Evaluate Head's on the same folder, and the progress chart draws one AP dot per measured round
 * with the header's "held-out AP ... (round N)". Screenshot: panel-held-out-trend.png.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';
import type { PanelState } from '../../../src/protocol/webview-protocol';
import { driver, type Suite, type TestContext, type Until } from './harness';

type Batch = Extract<PanelState, { kind: 'batch' }>;
/** Two rounds, each trained and measured in the worker, and one evaluation: tens of seconds on the loaded machine. */
const TIMEOUT_MS = 180_000;

export function heldOutTrendTest(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  const batch = () => (api().panel.currentState.kind === 'batch' ? (api().panel.currentState as Batch) : undefined);
  const settings = () => vscode.workspace.getConfiguration('vectorTune');

  suite.test(
    'a held-out folder set in VS Code is measured every round and its AP trend is drawn in the progress chart',
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
      const heldOut = path.join(root, 'held-out');
      for (const entry of await fs.readdir(path.join(root, 'images'), { withFileTypes: true }))
        if (entry.isDirectory())
          await fs.cp(path.join(root, 'images', entry.name), path.join(heldOut, entry.name), { recursive: true });
      const headDir = path.dirname(api().ctx.head!.weightsFile);
      await vscode.commands.executeCommand('vectorTune.setHeldOut', { folder: heldOut, positive: 'hat' });
      const stored = JSON.parse(await fs.readFile(path.join(headDir, 'held-out.json'), 'utf8'));
      assert.deepEqual([stored.kind, stored.folder, stored.positive], ['folder', '../../../held-out', 'hat']);

      // Earlier tests have seen most of the 40 images (batches, the audit sample's draw): two rounds need unseen ones.
      await vscode.commands.executeCommand('vectorTune.resetSeen');
      await vscode.commands.executeCommand('vectorTune.showPanel');
      const shownBefore = await until('a batch', batch);
      const draft = api().ctx.extension.workspaceState.get<{ draft: Record<string, number | null> }>(
        'vectorTune.pendingBatch',
      )?.draft;
      const scored = Object.values(draft ?? {}).some((s) => s !== null);
      const batchSize = settings().inspect<number>('batchSize')?.workspaceValue;
      await settings().update('evalEvery', 1, vscode.ConfigurationTarget.Workspace);
      await settings().update('batchSize', 4, vscode.ConfigurationTarget.Workspace); // spares the store's unseen images
      try {
        // An unscored batch is asked for again at the new size; one with scores keeps its images.
        if (!scored)
          await until('the batch asked for again with 4 images', () =>
            batch()?.batchId !== shownBefore.batchId && batch()?.candidates.length === 4 ? batch() : undefined,
          );
        const roundsBefore = batch()!.head.progress!.rounds.length;
        for (let i = 0; i < 2; i++) {
          await vscode.commands.executeCommand('notifications.clearAll');
          const before = await until('a batch', batch);
          await driver.call('pressKeys', { keys: ['Home', '5', 'a', 'Enter'] }); // one +1, the rest -1, submit
          await until('the next batch', () => batch() && batch()!.batchId !== before.batchId, 60_000);
        }
        const rounds = batch()!.head.progress!.rounds;
        assert.equal(rounds.length, roundsBefore + 2);
        const measured = rounds.filter((r) => r.heldOutAp !== undefined);
        assert.deepEqual(
          measured.map((r) => r.round),
          rounds.slice(-2).map((r) => r.round),
          'the two rounds scored with evalEvery 1 are measured',
        );
        const last = measured.at(-1)!;
        assert.equal(typeof last.heldOutAp, 'number');

        await vscode.commands.executeCommand('vectorTune.evaluateHead', {
          kind: 'folder',
          folder: heldOut,
          positive: 'hat',
        });
        assert.equal(api().ctx.lastEvaluation?.averagePrecision, last.heldOutAp, "Evaluate Head's AP");

        await vscode.commands.executeCommand('vectorTune.showPanel');
        await until('the batch again', batch);
        const shown = await driver.call<{ text: string; count: number }>('batchText', {
          selector: '[data-testid=progress]',
          count: 'circle.ap-dot',
        });
        assert.equal(shown.count, 2, 'one AP dot per measured round');
        assert.match(shown.text, new RegExp(`held-out AP ${last.heldOutAp!.toFixed(2)} \\(round ${last.round}\\)`));
        // Once the panel shows it (and its images) again, without the evaluation's toast over it.
        await vscode.commands.executeCommand('notifications.clearAll');
        await driver.call('panelScreenshot', { name: 'panel-held-out-trend' });
      } finally {
        const last = batch()?.batchId;
        await settings().update('evalEvery', undefined, vscode.ConfigurationTarget.Workspace);
        await settings().update('batchSize', batchSize, vscode.ConfigurationTarget.Workspace);
        await vscode.commands.executeCommand('vectorTune.setHeldOut', null);
        // The unscored batch of 4 is asked for again at the restored size: the tests after this one start from it.
        await until('the batch asked for again at the restored size', () => batch() && batch()!.batchId !== last);
      }
      await assert.rejects(fs.stat(path.join(headDir, 'held-out.json')), 'removed again');
    },
    { timeoutMs: TIMEOUT_MS },
  );
}
