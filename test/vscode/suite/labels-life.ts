/**
 * A head's labels over its life in a real VS Code: labels.jsonl edited in the workspace while the panel is open (the
 * watcher retrains the head and says so once), then the Labelled view driven through its real DOM: sort by
 * disagreement, filter by path, change a score, remove a label, and undo back across a submitted round. Each change
 * is checked on disk (appended lines) and in the head the extension holds. Screenshots: labelled-view.png,
 * labelled-after-changes.png.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';
import type { PanelState } from '../../../src/protocol/webview-protocol';
import { driver, type Suite, type TestContext, type Until } from './harness';

type Labelled = Extract<PanelState, { kind: 'labelled' }>;
/** Each change retrains in the worker and refreshes the view: seconds each on the loaded 2-core machine. */
const TIMEOUT_MS = 90_000;

export function labelsLifeTests(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  const labelsFile = () => api().ctx.head!.labelsFile;
  const lines = async () => (await fs.readFile(labelsFile(), 'utf8')).split('\n').filter(Boolean);
  const labelled = () =>
    api().panel.currentState.kind === 'labelled' ? (api().panel.currentState as Labelled) : undefined;

  suite.test(
    "the header shows positives, negatives, the last batch's hits and a chart over the rounds",
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      await vscode.commands.executeCommand('vectorTune.showPanel');
      const state = await until('a batch', () =>
        api().panel.currentState.kind === 'batch' ? api().panel.currentState : undefined,
      );
      const progress = (state as Extract<PanelState, { kind: 'batch' }>).head.progress!;
      const labels = (await lines()).map((l) => JSON.parse(l));
      assert.equal(progress.positives, labels.filter((l) => l.score > 0).length);
      assert.equal(progress.negatives, labels.filter((l) => l.score < 0).length);
      const atZero = labels.filter((l) => l.score === 0).length;
      assert.equal(progress.neutral ?? 0, atZero, 'labels scored 0 are counted too');
      assert.equal(progress.rounds.length, 1, 'the round submitted in the scoring test');
      const [round] = progress.rounds;
      assert.equal(round.hits, labels.filter((l) => l.round === round.round && l.score > 0).length);
      assert.equal(round.shown, 8);
      const shown = await driver.call<{ text: string; count: number }>('batchText', {
        selector: '[data-testid=progress]',
        count: 'rect.hits-bar',
        screenshot: 'panel-progress',
      });
      assert.match(
        shown.text,
        new RegExp(
          `${progress.positives} positive · ${progress.negatives} negative${atZero ? ` · ${atZero} at 0` : ''} · last batch ${round.hits} of 8`,
        ),
      );
      assert.equal(shown.count, 1, 'one bar per round');
    },
    { timeoutMs: TIMEOUT_MS },
  );

  suite.test(
    'an outside edit of labels.jsonl while the panel is open retrains the head and says so once',
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      await vscode.commands.executeCommand('vectorTune.showPanel');
      await until('the panel', () => api().panel.visiblePanel);
      const told = api().panel.labelsWatcher.told.length;
      const before = await lines();
      const first = JSON.parse(before[0]);
      // A score changed by hand, as in the editor: the file is rewritten in place.
      const edited = [JSON.stringify({ ...first, score: first.score > 0 ? -1 : 1 }), ...before.slice(1)];
      await fs.writeFile(labelsFile(), edited.join('\n') + '\n');
      const message = await until('the watcher to tell', () => api().panel.labelsWatcher.told[told], 30_000);
      assert.match(message, new RegExp(`labels\\.jsonl changed on disk: retrained from ${before.length} labels\\.`));
      const weights = JSON.parse(await fs.readFile(api().ctx.head!.weightsFile, 'utf8'));
      const sha = createHash('sha256')
        .update(await fs.readFile(labelsFile()))
        .digest('hex');
      assert.equal(weights.labels.sha256, sha, 'the weights were rebuilt from the edited file');
      const toasts: string = await driver.call('notificationsText', { contains: 'changed on disk' });
      assert.match(toasts, /labels\.jsonl changed on disk/);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(api().panel.labelsWatcher.told.length, told + 1, 'told once');
    },
    { timeoutMs: TIMEOUT_MS },
  );

  suite.test(
    'the Labelled view sorts, filters, relabels, removes and undoes back across a submitted round',
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      await vscode.commands.executeCommand('notifications.clearAll');
      await driver.call('clickInBatch', { selector: '[data-testid=action-showLabelled]' });
      const view = await until('the Labelled view', labelled, 30_000);
      const count = api().ctx.head!.labelCount;
      assert.equal(view.records.length, count);
      assert.ok(
        view.records.every((r) => r.src.startsWith('http')),
        'every labelled image has a thumbnail URI',
      );
      assert.match(view.undo ?? '', /^round \d+ \(\d+ labels\)$/, 'the round submitted in this session can be undone');

      const byDisagreement = await driver.call<{ id: string; score: number }[]>('labelled', {
        sort: 'disagreement',
        screenshot: 'labelled-view',
      });
      const expected = [...view.records].sort((a, b) => b.disagreement - a.disagreement).map((r) => r.disagreement);
      const shown = byDisagreement.map((row) => view.records.find((r) => r.id === row.id)!.disagreement);
      assert.deepEqual(shown, expected, 'most contradicted first');
      const folder = view.records[0].path.slice(0, view.records[0].path.lastIndexOf('/') + 1);
      const inFolder = view.records.filter((r) => r.path.includes(folder)).map((r) => r.id);
      const filtered = await driver.call<{ id: string }[]>('labelled', { path: folder });
      assert.deepEqual(filtered.map((r) => r.id).sort(), inFolder.sort(), `the path filter "${folder}"`);
      await driver.call('labelled', { path: '' });

      // Relabel the most contradicted image, then remove the next one.
      const [worst, next] = byDisagreement;
      const linesBefore = (await lines()).length;
      await driver.call('labelled', { setScore: { id: worst.id, value: -worst.score || 1 } });
      await until(
        'the relabel in the view',
        () => labelled()?.records.find((r) => r.id === worst.id)?.score === (-worst.score || 1),
      );
      // The DOM follows the extension's state a moment later: poll it.
      const resorted = () => [...labelled()!.records].sort((a, b) => b.disagreement - a.disagreement).map((r) => r.id);
      await until('the view to keep its sort through the refresh', async () => {
        const rows = await driver.call<{ id: string }[]>('labelled', {});
        return JSON.stringify(rows.map((r) => r.id)) === JSON.stringify(resorted());
      });
      await driver.call('labelled', { remove: next.id });
      await until('the removal in the view', () => labelled() && !labelled()!.records.some((r) => r.id === next.id));
      const appended = (await lines()).slice(linesBefore).map((l) => JSON.parse(l));
      assert.deepEqual(
        appended.map((l) => [l.id, l.score, l.removed ?? false]),
        [
          [worst.id, -worst.score || 1, false],
          [next.id, 0, true],
        ],
        'a relabel and a removal are appended lines',
      );
      assert.equal(api().ctx.head!.labelCount, count - 1);
      await driver.call('labelled', { screenshot: 'labelled-after-changes' });

      // Undo: the removal, the relabel, then the round submitted in the scoring test.
      await driver.call('labelled', { undo: true });
      await until('the removal undone', () => labelled()?.records.some((r) => r.id === next.id));
      await driver.call('labelled', { undo: true });
      await until(
        'the relabel undone',
        () => labelled()?.records.find((r) => r.id === worst.id)?.score === worst.score,
      );
      const beforeRoundUndo = labelled()!.records.length;
      await driver.call('labelled', { undo: true });
      await until('the round undone', () => labelled() && labelled()!.records.length < beforeRoundUndo);
      const history = (await lines()).slice(linesBefore).map((l) => JSON.parse(l));
      assert.ok(history.length >= 5, 'every undo is appended too: the file keeps the whole history');
      assert.equal(api().ctx.head!.labelCount, labelled()!.records.length);

      await driver.call('labelled', { back: true });
      await until('the batch again', () => api().panel.currentState.kind === 'batch');
      assert.equal(path.basename(labelsFile()), 'labels.jsonl');
    },
    { timeoutMs: TIMEOUT_MS },
  );
}
