/**
 * Vector Tune's own VS Code surfaces, driven as a person would in the real workbench: the Heads view (a click
 * switches heads, an action from a head's context menu), the status bar following a settings change, and the
 * walkthrough (its steps, a step's button). Screenshots of the side bar and the walkthrough at 900 x 700, in a
 * light and a dark theme, land in test-results/vscode/.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';
import { currentLabelsIn } from './current-labels';
import { driver, PANEL_SETTLED_MS, type Suite, type TestContext, type Until } from './harness';

/** Two themed screenshots (a repaint and a relayout each) besides the clicks: 10-20 s on a loaded machine. */
const SCREENSHOT_TEST_MS = 90_000;

const THEMES = [
  ['light', 'Default Light Modern'],
  ['dark', 'Default Dark Modern'],
] as const;

/** Screenshots at 900 x 700 in each theme; the theme the user had is restored. */
async function screenshotsInThemes(name: string): Promise<void> {
  const workbench = vscode.workspace.getConfiguration('workbench');
  const before = workbench.inspect('colorTheme')?.globalValue;
  try {
    for (const [shade, theme] of THEMES) {
      await workbench.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      await new Promise((r) => setTimeout(r, 1000)); // the workbench repaints in the new colours
      await driver.call('screenshotAt', { name: `${name}-${shade}`, width: 900, height: 700 });
    }
  } finally {
    await workbench.update('colorTheme', before, vscode.ConfigurationTarget.Global);
  }
}

export function sidebarTests(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  suite.test(
    'the Heads view lists each head with its figures; a click switches heads; Reset Seen from the context menu',
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      const ctx = api().ctx;
      // A second head of its own (not one an earlier test may have failed to make), open, its batch shown.
      await vscode.commands.executeCommand('vectorTune.newHeadFromPrompt', 'a photo of a shoe', 'shoe');
      assert.equal(ctx.head?.name, 'shoe', `shoe was started (last error: ${ctx.lastError})`);
      // A loading webview would take the focus from the view later.
      await driver.call('panelSettled', undefined, { timeoutMs: PANEL_SETTLED_MS });
      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('vectorTune.heads.focus');
      await driver.call('treeRows', { waitFor: 'Head shoe, open:' });

      // What the view says of "hat" comes from its files.
      const hat = api().views.heads.heads.find((h) => h.name === 'hat')!;
      const labels = await currentLabelsIn(hat.labelsFile);
      assert.equal(hat.labels, labels.length);
      assert.equal(hat.positives, labels.filter((l) => l.score > 0).length);
      assert.ok(hat.rounds >= 1 && hat.reports.length >= 1, 'hat was tuned and evaluated earlier in the suite');
      const rows: string[] = await driver.call('treeRows', { waitFor: 'Head hat:' });
      const row = rows.find((r) => r.startsWith('Head hat:'))!;
      assert.match(
        row,
        new RegExp(
          `^Head hat: AP \\d\\.\\d{3}( \\([+\u2212]\\d\\.\\d{3}\\))? · ${hat.labels} labels \\(${hat.positives} positive\\) · ${hat.rounds} rounds?$`,
        ),
      );

      await driver.call('treeRow', { label: 'Head hat:' });
      await until('a click on "hat" to open it', () => ctx.head?.name === 'hat');
      await driver.call('treeRows', { waitFor: 'Head hat, open:' });
      // The panel was open, so it shows hat's batch now, without taking the focus from the view.
      await until("the panel to show hat's batch", () => {
        const state = api().panel.currentState;
        return state.kind === 'batch' && state.head.name === 'hat';
      });

      await driver.call('treeRow', {
        label: 'Head shoe:',
        button: 'right',
        menuItem: 'Reset Seen',
        screenshot: 'heads-context-menu',
      });
      await until('Reset Seen to run on shoe', () => ctx.head?.name === 'shoe');
      // Read in the notification centre: a toast of code-server's own ("Over 20 ports have been automatically
      // forwarded", from other programs listening on the machine) can keep ours from showing as a toast.
      await vscode.commands.executeCommand('notifications.showList');
      assert.match(await driver.call('notificationsText', { contains: 'seen reset' }), /Head "shoe": seen reset/);
      await vscode.commands.executeCommand('notifications.hideList');
      const reset = api().ctx.head;
      assert.equal(reset?.seenCount, reset?.labelCount, 'labelled images stay seen, skipped ones show again');
      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('vectorTune.store.focus'); // both views open in the shot
      await vscode.commands.executeCommand('vectorTune.heads.focus');
      await api().views.headsView.reveal(api().views.heads.nodeOf('hat')!, { expand: true }); // its reports show
      await screenshotsInThemes('sidebar');
    },
    { timeoutMs: SCREENSHOT_TEST_MS + PANEL_SETTLED_MS },
  );

  suite.test('the status bar follows a change of vectorTune.store, and back', async () => {
    const ctx = api().ctx;
    const open = ctx.head?.name;
    const count = ctx.storeCount!;
    assert.ok(count > 0);
    const config = vscode.workspace.getConfiguration('vectorTune');
    const status = async () => (driver.available() ? driver.call<string>('statusBarText') : api().ctx.statusBar.text);
    try {
      await config.update('store', 'pinecone', vscode.ConfigurationTarget.Workspace);
      await until('the status bar to name Pinecone', async () => /no store \(Pinecone\)/.test(await status()));
    } finally {
      await config.update('store', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await until('the status bar to show the embedded store again', async () =>
      new RegExp(`${count} images$`).test((await status()).trim()),
    );
    assert.equal(ctx.head?.name, open, 'the open head stayed open');
  });

  suite.test('Restart Worker starts a new worker with the open head, which carries on', async () => {
    const ctx = api().ctx;
    const head = ctx.head!;
    const [errorBefore, startsBefore] = [ctx.lastError, ctx.workerStarts];
    // The same head reopened and its batch shown change nothing the Heads view shows: it must not re-render (a
    // re-render drops the commands of its rows, and a click landing then runs nothing).
    let renders = 0;
    const counting = api().views.heads.onDidChangeTreeData(() => renders++);
    try {
      await vscode.commands.executeCommand('vectorTune.restartWorker');
      assert.equal(ctx.lastError, errorBefore, 'no error');
      assert.equal(ctx.workerStarts, startsBefore + 1, 'a new worker');
      assert.equal(ctx.head?.name, head.name, 'the head was reopened in the new worker');
      await vscode.commands.executeCommand('vectorTune.nextBatch');
      await until("the new worker's batch", () => {
        const state = api().panel.currentState;
        return state.kind === 'batch' && state.head.name === head.name;
      });
      await new Promise((r) => setTimeout(r, 1500)); // the view gathers refreshes for 150 ms, then reads the heads
      assert.equal(renders, 0, 'the Heads view was not re-rendered');
    } finally {
      counting.dispose();
    }
  });

  suite.test(
    "the walkthrough lists its steps, and a step's button runs its command",
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand(
        'workbench.action.openWalkthrough',
        'vector-tune.vector-tune#vectorTune.start',
        false,
      );
      const text: string = await driver.call('walkthrough', { waitFor: 'Choose a model' });
      for (const step of [
        'Choose a model',
        'Index a folder of images',
        'Start a head',
        'Score a batch',
        'Evaluate the head',
        'Commit the head',
      ])
        assert.ok(text.includes(step), `the walkthrough has the step "${step}"`);
      await driver.call('walkthrough', {
        waitFor: 'Choose a model',
        step: 'Choose a model',
        button: 'Select Model...',
      });
      const title: string = await driver.call('quickInputTitle', { dismiss: true });
      assert.match(title, /Vector Tune: select model/);
      await driver.call('walkthrough', { waitFor: 'Choose a model', step: 'Index a folder of images' });
      // The walkthrough as it first shows, in a window of its own width: the side bar closed, so the step's media shows too.
      await vscode.commands.executeCommand('workbench.action.closeSidebar');
      try {
        await screenshotsInThemes('walkthrough');
      } finally {
        await vscode.commands.executeCommand('workbench.view.explorer');
      }
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    },
    { timeoutMs: SCREENSHOT_TEST_MS },
  );
}

/**
 * Deleting a head from the Heads view asks first, in a modal dialog. VS Code refuses modal dialogs to extensions
 * under test ("DialogService: refused to show dialog in tests"), so what can be checked here is that no answer
 * means no deletion: the command fails with that refusal and every file of the head is still there.
 */
export function deleteHeadTest(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  suite.test('Delete Head deletes nothing without a confirmation', async () => {
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const dir = path.join(root, 'vectortune', 'heads', 'broken'); // left by the malformed-weights test
    const files = await fs.readdir(dir, { recursive: true });
    const node = await until('the broken head in the view', async () => {
      await api().views.heads.getChildren();
      return api().views.heads.nodeOf('broken');
    });
    assert.ok(node.head.problem, 'listed with its problem');
    await vscode.commands.executeCommand('vectorTune.heads.delete', node);
    assert.match(api().ctx.lastError ?? '', /refused to show dialog in tests. Contents: Delete head "broken"\?/);
    assert.deepEqual(await fs.readdir(dir, { recursive: true }), files, 'every file is still there');
  });
}
