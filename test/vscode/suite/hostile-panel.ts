/**
 * The scoring panel is untrusted: a compromised panel script could post anything. This sends malformed and
 * hostile messages through VS Code's real webview channel, from inside the panel's frame, and checks that every
 * one is rejected with a reason, that nothing outside the workspace is opened, that no label is written and that
 * the panel keeps working. It needs a batch on screen with an unsubmitted score on its first card: the tests before
 * it leave one, and when they did not (run alone, or after a change of order) it makes its own.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';
import type { PanelState } from '../../../src/protocol/webview-protocol';
import { driver, type Suite, type Until } from './harness';

type BatchState = Extract<PanelState, { kind: 'batch' }>;

/** The batch on screen; with none, one is made the way a person makes it: index the images, start a head, next batch. */
async function batchOnScreen(api: () => VectorTuneApi, until: Until): Promise<BatchState> {
  const { ctx, panel } = api();
  const batch = () => (panel.currentState.kind === 'batch' ? panel.currentState : undefined);
  if (batch() && panel.visiblePanel) return batch()!;
  if (ctx.head) {
    await vscode.commands.executeCommand('vectorTune.nextBatch');
  } else {
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    await ctx.refreshStore().catch(() => undefined);
    if (!ctx.storeCount)
      await vscode.commands.executeCommand('vectorTune.indexFolder', vscode.Uri.file(path.join(root, 'images')));
    await vscode.commands.executeCommand('vectorTune.newHeadFromPrompt', 'a photo of a hat', 'hostile-panel');
  }
  return until(`a batch on screen (last error: ${ctx.lastError})`, batch);
}

/** Gives the first card an unsubmitted +1 (Home, then 5) unless it has one, and waits for the extension to store it. */
async function draftOnFirstCard(api: () => VectorTuneApi, until: Until, state: BatchState): Promise<void> {
  if ((await driver.call('cardScore', { index: 0 })) === 1) return;
  await driver.call('pressKeys', { keys: ['Home', '5'] });
  await until('the draft to reach the extension', () => {
    const pending = api().ctx.extension.workspaceState.get<{ batchId: string; draft: Record<string, number | null> }>(
      'vectorTune.pendingBatch',
    );
    return pending?.batchId === state.batchId && pending.draft[state.candidates[0].id] === 1;
  });
}

export function hostilePanelTest(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  suite.test(
    'malformed and hostile messages from the panel are rejected; nothing outside the workspace is opened',
    async (t) => {
      if (!driver.available()) return t.skip('needs the page driver to post from inside the panel', driver.NO_DRIVER);
      const state = await batchOnScreen(api, until);
      await draftOnFirstCard(api, until, state);
      const onScreen = state.candidates[0].id;
      const labelsFile = () => api().ctx.head!.labelsFile;
      const labelsBefore = await fs.readFile(labelsFile(), 'utf8').catch(() => '');
      const rejectedBefore = api().panel.rejected.length;
      const outside = path.resolve(vscode.workspace.workspaceFolders![0].uri.fsPath, '..', 'outside-secret.txt');
      await fs.writeFile(outside, 'not for the panel');

      const messages: unknown[] = [
        null,
        'submit',
        [1, 2],
        { kind: 'evil' },
        { kind: 'notify', method: 'deleteEverything' },
        { kind: 'notify', method: 'runAction', action: 'workbench.action.terminal.new' },
        { kind: 'notify', method: 'openImage', id: '' },
        { kind: 'request', id: 'x', method: 'submit', params: { batchId: state.batchId, scores: [] } },
        { kind: 'request', id: 7, method: 'exec', params: {} },
        {
          kind: 'request',
          id: 8,
          method: 'submit',
          params: { batchId: state.batchId, scores: [{ id: onScreen, score: 5 }] },
        },
        {
          kind: 'request',
          id: 9,
          method: 'submit',
          params: { batchId: state.batchId, scores: [{ id: onScreen, score: 'NaN' }] },
        },
        { kind: 'notify', method: 'draft', batchId: state.batchId, scores: { [onScreen]: -3 } },
        {
          kind: 'notify',
          method: 'draft',
          batchId: state.batchId,
          scores: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`r${i}`, 1])),
        },
      ];
      // Well-formed, but naming things outside the batch: the controller must refuse them, not just the parser.
      const wellFormedButForeign: unknown[] = [
        {
          kind: 'request',
          id: 10,
          method: 'submit',
          params: { batchId: state.batchId, scores: [{ id: '../outside-secret.txt', score: 1 }] },
        },
        {
          kind: 'request',
          id: 11,
          method: 'submit',
          params: { batchId: 'an-old-batch', scores: [{ id: onScreen, score: 1 }] },
        },
        {
          kind: 'request',
          id: 12,
          method: 'submit',
          params: {
            batchId: state.batchId,
            scores: [
              { id: onScreen, score: 1 },
              { id: onScreen, score: -1 },
            ],
          },
        },
      ];
      const openFiles = () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .map((tab) => (tab.input as { uri?: vscode.Uri })?.uri?.fsPath)
          .filter(Boolean);
      const sent: number = await driver.call('postFromPanel', {
        messages: [...messages, ...wellFormedButForeign],
        huge: true,
      });
      assert.equal(sent, messages.length + wellFormedButForeign.length + 2);
      // openImage of a path outside the batch is silently ignored (no file of that id is on screen): posted alone.
      await driver.call('postFromPanel', {
        messages: [
          { kind: 'notify', method: 'openImage', id: '../outside-secret.txt' },
          { kind: 'notify', method: 'openImage', id: outside },
        ],
      });

      const expected = sent; // every message above is rejected and counted
      await until(
        `${expected} rejections`,
        () => api().panel.rejected.length - rejectedBefore >= expected,
        8_000,
      ).catch((err) => {
        throw new Error(`${err.message}; rejected so far:\n${api().panel.rejected.slice(rejectedBefore).join('\n')}`);
      });
      const reasons = api().panel.rejected.slice(rejectedBefore);
      assert.equal(reasons.length, expected, reasons.join('\n'));
      for (const pattern of [
        /not an object/,
        /kind must be/,
        /unknown notification/,
        /unknown panel action/,
        /request id must be an integer/,
        /unknown request method/,
        /score must be null or a number from -1 to \+1/,
        /more than 1000 scores/,
        /at most 4096 characters/,
        /at most 1000/,
        /outside the batch/,
        /not on screen/,
      ]) {
        assert.ok(
          reasons.some((r) => pattern.test(r)),
          `a rejection matching ${pattern}:\n${reasons.join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(!openFiles().some((f) => f!.includes('outside-secret')), `opened: ${openFiles().join(', ')}`);
      assert.equal(await fs.readFile(labelsFile(), 'utf8').catch(() => ''), labelsBefore, 'no label was written');
      const after = api().panel.currentState;
      assert.equal(after.kind === 'batch' && after.batchId, state.batchId, 'the same batch is still on screen');
      assert.equal(await driver.call('cardScore', { index: 0 }), 1, 'the panel still shows the unsubmitted score');
    },
  );
}
