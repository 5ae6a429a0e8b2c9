/**
 * The extension's integration suite, run inside a real VS Code (see test/vscode/run.ts). It drives the real
 * extension through its commands, and the scoring panel's real DOM through the page driver (driver.js:
 * playwright clicks and keys inside the webview), and checks what lands on disk.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';
import { createSuite, driver, PANEL_SETTLED_MS, type TestContext } from './harness';
import { currentLabelsIn } from './current-labels';
import { applyHeadsTest } from './apply-heads';
import { auditPanelTest } from './audit-panel';
import { exportHeadsTest } from './export-heads';
import { hostilePanelTest } from './hostile-panel';
import { annotatorsTest } from './annotators';
import { heldOutTrendTest } from './held-out-trend';
import { labelsLifeTests } from './labels-life';
import { batchOptionsTest, lookPanelTest, storeRefreshTest } from './look-panel';
import { pineconeStoreTest } from './pinecone-store';
import { runSettingsTest } from './run-settings';
import { deleteHeadTest, sidebarTests } from './sidebar';

const EXTENSION_ID = 'vector-tune.vector-tune';
const suite = createSuite('Vector Tune in VS Code');
let api: VectorTuneApi;

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const headDir = (name: string) => path.join(root(), 'vectortune', 'heads', name);
const sha = async (file: string) =>
  createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
const lines = async (file: string) => (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const batchState = () => (api.panel.currentState.kind === 'batch' ? api.panel.currentState : undefined);

suite.test('activates and returns its API', async () => {
  const ext = vscode.extensions.getExtension<VectorTuneApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  api = await ext.activate();
  assert.ok(ext.isActive);
  console.log(`  (extension under test: ${ext.extensionPath})`);
  assert.ok(api.ctx && api.panel);
});

suite.test('registers every command it declares', async () => {
  const declared: string[] = vscode.extensions
    .getExtension(EXTENSION_ID)!
    .packageJSON.contributes.commands.map((c: { command: string }) => c.command);
  assert.ok(declared.length >= 9);
  const registered = new Set(await vscode.commands.getCommands(true));
  for (const id of declared) assert.ok(registered.has(id), `${id} is registered`);
});

suite.test('Index Folder embeds the images, reports the broken one, and is incremental', async () => {
  const images = path.join(root(), 'images');
  const photoCount =
    (await fs.readdir(images, { recursive: true })).filter((f) => String(f).endsWith('.jpg')).length - 1;
  await vscode.commands.executeCommand('vectorTune.indexFolder', vscode.Uri.file(images));
  const report = api.ctx.lastIndexReport!;
  assert.ok(report, `the index command ran to the end (last error: ${api.ctx.lastError})`);
  assert.equal(report.added, photoCount);
  assert.deepEqual(
    report.skipped.map((s) => s.path),
    ['images/broken.jpg'],
  );
  const manifest = JSON.parse(await fs.readFile(path.join(root(), '.vectortune', 'store', 'manifest.json'), 'utf8'));
  assert.equal(manifest.count, photoCount);
  assert.equal(api.ctx.storeCount, photoCount);
  if (driver.available()) {
    const toasts: string = await driver.call('notificationsText', { contains: 'Indexed:' });
    assert.match(toasts, new RegExp(`Indexed: ${photoCount} added`));
  }
  await vscode.commands.executeCommand('vectorTune.indexFolder', vscode.Uri.file(images));
  assert.equal(api.ctx.lastIndexReport!.unchanged, photoCount, 'a second run re-embeds nothing');
});

suite.test('New Head from Prompt writes the head and opens the panel with real thumbnails', async () => {
  await vscode.commands.executeCommand('vectorTune.newHeadFromPrompt', 'a photo of a hat', 'hat');
  const weights = JSON.parse(await fs.readFile(path.join(headDir('hat'), 'classifier.weights.json'), 'utf8'));
  assert.equal(weights.start.kind, 'prompt');
  assert.equal(weights.start.prompt, 'a photo of a hat');
  assert.equal(api.ctx.head?.name, 'hat');
  const batch = await until('a batch in the panel', batchState);
  assert.equal(batch.candidates.length, 8);
  assert.ok(
    batch.candidates.every((c) => c.src.length > 0),
    'every candidate has a webview URI',
  );
  if (driver.available()) {
    const shown: { images: number; loaded: number } = await driver.call('panelImages', { expected: 8 });
    assert.deepEqual(shown, { images: 8, loaded: 8 }, 'all 8 thumbnails decoded in the webview');
    const status: string = await driver.call('statusBarText');
    assert.match(status, /hat: 0 labels/);
  }
});

suite.test(
  'scores given in the panel (clicks and keys) are written, trained on, and the next batch follows',
  async (t: TestContext) => {
    if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
    const before = batchState()!;
    const weightsFile = path.join(headDir('hat'), 'classifier.weights.json');
    const weightsBefore = await sha(weightsFile);
    // Toasts float above the webview and would take the clicks meant for the cards beneath them.
    await vscode.commands.executeCommand('notifications.clearAll');
    const result: { scored: Record<string, number | null> } = await driver.call('scoreBatch', {
      screenshot: 'panel-scored',
    });
    const expectedScores = before.candidates.map((c) => result.scored[c.name] ?? null);
    const labelled = expectedScores.filter((s) => s !== null).length;
    assert.ok(labelled >= 6, `the driver scored ${labelled} images`);
    await until('the next batch', () => batchState() && batchState()!.batchId !== before.batchId);
    const labels = (await lines(path.join(headDir('hat'), 'labels.jsonl'))).map((l) => JSON.parse(l));
    assert.equal(labels.length, labelled);
    for (const label of labels) {
      const candidate = before.candidates.find((c) => c.id === label.id)!;
      assert.ok(candidate, `${label.id} was in the batch`);
      assert.equal(label.score, result.scored[candidate.name], `score of ${candidate.name}`);
      assert.equal(label.round, 1);
    }
    assert.notEqual(await sha(weightsFile), weightsBefore, 'the weights changed');
    const weights = JSON.parse(await fs.readFile(weightsFile, 'utf8'));
    assert.equal(weights.labels.count, labelled);
    const next = batchState()!;
    assert.ok(
      next.candidates.every((c) => !before.candidates.some((b) => b.id === c.id)),
      'shown images are not shown again',
    );
    assert.equal(api.ctx.head?.labelCount, labelled);
  },
);

suite.test('unsubmitted scores survive hiding the panel', async (t: TestContext) => {
  if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
  const batch = batchState()!;
  await driver.call('pressKeys', { keys: ['Home', '5'] });
  await until('the draft to reach the extension', async () => {
    const pending = api.ctx.extension.workspaceState.get<{ batchId: string; draft: Record<string, number | null> }>(
      'vectorTune.pendingBatch',
    );
    return pending?.batchId === batch.batchId && pending.draft[batch.candidates[0].id] === 1;
  });
  const doc = await vscode.workspace.openTextDocument({ content: 'another editor covers the panel' });
  await vscode.window.showTextDocument(doc, vscode.ViewColumn.Active);
  await vscode.commands.executeCommand('vectorTune.showPanel');
  const score: number | null = await driver.call('cardScore', { index: 0 });
  assert.equal(score, 1);
  assert.equal(batchState()!.batchId, batch.batchId, 'the same batch is shown');
});

suite.test(
  'a reloaded window gets the head and the unsubmitted batch back, with its scores',
  async (t: TestContext) => {
    if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
    const batch = batchState()!;
    const head = api.ctx.head!;
    // What a reload leaves: no panel, no head in memory; only what the extension persisted.
    api.panel.visiblePanel!.dispose();
    api.ctx.head = undefined;
    const revived = vscode.window.createWebviewPanel(
      'vectorTune.scoringPanel',
      'Vector Tune',
      vscode.ViewColumn.Active,
      {},
    );
    await api.restorePanel(revived);
    const reopened = (api.ctx as { head?: { name: string } }).head; // re-read: TS narrowed it to undefined above
    assert.equal(reopened?.name, head.name, 'the head was reopened from workspace state');
    assert.equal(batchState()?.batchId, batch.batchId, 'the same batch is back');
    assert.equal(await driver.call('cardScore', { index: 0 }), 1, 'with the unsubmitted score');
  },
);

hostilePanelTest(suite, () => api, until);
labelsLifeTests(suite, () => api, until);
annotatorsTest(suite, () => api, until);
lookPanelTest(suite, () => api, until);
batchOptionsTest(suite, () => api, until);
auditPanelTest(suite, () => api, until);

suite.test('Evaluate Head measures the head on class folders, writes its report and opens the preview', async () => {
  const head = api.ctx.head!;
  await vscode.commands.executeCommand('vectorTune.evaluateHead', {
    kind: 'folder',
    folder: path.join(root(), 'images'),
    positive: 'hat',
  });
  const summary = api.ctx.lastEvaluation;
  assert.ok(summary, `the evaluation ran (last error: ${api.ctx.lastError})`);
  // The head's own labelled images (the latest line of each id, removals dropped) are left out of the measurement:
  // they would flatter it. An image whose label was removed is measured again.
  const labelled = new Set((await currentLabelsIn(path.join(headDir(head.name), 'labels.jsonl'))).map((l) => l.id));
  const photos = (await fs.readdir(path.join(root(), 'images'), { recursive: true }))
    .map(String)
    .filter((f) => f.endsWith('.jpg') && f !== 'broken.jpg')
    .map((f) => `images/${f.split(path.sep).join('/')}`);
  const held = photos.filter((id) => !labelled.has(id));
  assert.ok(labelled.size > 0 && held.length < photos.length);
  assert.equal(summary.n, held.length);
  assert.equal(summary.positives, held.filter((id) => id.startsWith('images/hat/')).length);
  const hats = summary.positives;
  assert.ok(summary.averagePrecision !== null && summary.averagePrecision > 0 && summary.averagePrecision <= 1);
  assert.ok(summary.markdownFile.startsWith(path.join(headDir(head.name), 'reports')));
  const markdown = await fs.readFile(summary.markdownFile, 'utf8');
  assert.match(markdown, /average precision/);
  const json = JSON.parse(await fs.readFile(summary.markdownFile.replace(/\.md$/, '.json'), 'utf8'));
  assert.equal(json.metrics.positives, hats);
  const preview = await until('the Markdown preview', () =>
    vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .find((tab) => /Preview/.test(tab.label) && tab.label.includes(path.basename(summary.markdownFile))),
  );
  assert.ok(preview);
  await vscode.window.tabGroups.close(preview);
});

heldOutTrendTest(suite, () => api, until);
applyHeadsTest(suite, () => api, until);
exportHeadsTest(suite, () => api, until);

suite.test('Reset Seen keeps labelled images (and the audit sample) seen and shows skipped ones again', async () => {
  await vscode.commands.executeCommand('vectorTune.resetSeen');
  const head = api.ctx.head!;
  // The audit sample drawn by the audit test stays hidden from batches: it is never trained on.
  const labels = await currentLabelsIn(path.join(headDir(head.name), 'labels.jsonl'));
  const stillSeen = new Set([
    ...labels.map((l) => l.id),
    ...(await lines(path.join(headDir(head.name), 'audit.jsonl'))).slice(1).map((l) => JSON.parse(l).id as string),
  ]);
  assert.equal(labels.length > 0 && labels.length, head.labelCount);
  assert.ok(head.audit && head.audit.size === 10, 'the head has the audit sample');
  assert.equal(head.seenCount, stillSeen.size);
});

suite.test(
  'New Head from Selected Images (Explorer) starts a head from those images',
  async (t: TestContext) => {
    if (!driver.available()) t.skip('needs the page driver to answer the name prompt', driver.NO_DRIVER);
    const hats = (await fs.readdir(path.join(root(), 'images', 'hat')))
      .slice(0, 2)
      .map((f) => vscode.Uri.file(path.join(root(), 'images', 'hat', f)));
    // Where a person is when they run it from the Explorer's context menu: the panel has loaded (a webview still
    // loading after the last reveal() takes the focus once it is ready, and the name prompt would close on losing
    // it), and the focus is in the Explorer.
    await driver.call('panelSettled', undefined, { timeoutMs: PANEL_SETTLED_MS });
    await vscode.commands.executeCommand('workbench.files.action.focusFilesExplorer');
    const done = vscode.commands.executeCommand('vectorTune.newHeadFromSelection', hats[0], hats);
    await driver.call('quickInput', { text: 'hat-examples', title: 'Vector Tune: name of the new head' });
    await done;
    const weights = JSON.parse(
      await fs.readFile(path.join(headDir('hat-examples'), 'classifier.weights.json'), 'utf8'),
    );
    assert.equal(weights.start.kind, 'examples');
    assert.deepEqual(
      weights.start.ids,
      hats.map((u) => path.relative(root(), u.fsPath).split(path.sep).join('/')),
    );
    assert.equal(api.ctx.head?.name, 'hat-examples');
    assert.equal(api.ctx.head?.labelCount, 2, 'the examples are the first positive labels');
    const shown = await until("the new head's batch", () =>
      batchState()?.head.name === 'hat-examples' ? batchState() : undefined,
    );
    assert.equal(shown.head.lastRound, undefined, "the previous head's last round is not shown for this one");
  },
  { timeoutMs: PANEL_SETTLED_MS + 20_000 },
);

sidebarTests(suite, () => api, until);

suite.test(
  'an uncached hub model while offline: the message leads with the problem; its Select Model... button works',
  async () => {
    const config = vscode.workspace.getConfiguration('vectorTune');
    const before = config.get<string>('model');
    try {
      await config.update('model', 'nobody/not-cached-clip', vscode.ConfigurationTarget.Workspace);
      await fs.writeFile(
        path.join(root(), 'images', 'hat', 'new-photo.jpg'),
        await fs.readFile(path.join(root(), 'images', 'broken.jpg')),
      );
      await vscode.commands.executeCommand('vectorTune.indexFolder', vscode.Uri.file(path.join(root(), 'images')));
      assert.match(
        api.ctx.lastError ?? '',
        /nobody\/not-cached-clip.*not in the model cache.*downloading is turned off.*local folder/s,
      );
      assert.match(api.ctx.lastError ?? '', /^Vector Tune could not load the model nobody\/not-cached-clip: /);
      assert.deepEqual(api.ctx.lastErrorRemedies, ['Select Model...', 'Open Settings', 'Show Log']);
      if (driver.available()) {
        await driver.call('notificationButton', { contains: 'could not load the model', button: 'Select Model...' });
        const title: string = await driver.call('quickInputTitle', { dismiss: true });
        assert.match(title, /Vector Tune: select model \(now: nobody\/not-cached-clip\)/);
      }
    } finally {
      await config.update('model', before, vscode.ConfigurationTarget.Workspace);
      await fs.rm(path.join(root(), 'images', 'hat', 'new-photo.jpg'), { force: true });
    }
  },
);

suite.test('a malformed weights file gives an error message, not a crash', async () => {
  const openBefore = api.ctx.head?.name;
  await vscode.commands.executeCommand('notifications.clearAll');
  const dir = headDir('broken');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'classifier.weights.json'), '{"format": "vector-tune-head", "w": [0.1, ');
  await vscode.commands.executeCommand(
    'vectorTune.openHead',
    vscode.Uri.file(path.join(dir, 'classifier.weights.json')),
  );
  // Problem first, the file last (a notification is read from its start).
  assert.match(api.ctx.lastError ?? '', /^The weights file is not valid JSON.*\(\S+classifier\.weights\.json\)$/s);
  assert.equal(api.ctx.head?.name, openBefore, 'the open head is unchanged');
  if (driver.available()) {
    await vscode.commands.executeCommand('notifications.showList');
    assert.match(await driver.call('notificationsText', { contains: 'not valid JSON' }), /not valid JSON/);
    await vscode.commands.executeCommand('notifications.hideList');
  }
  await vscode.commands.executeCommand('vectorTune.nextBatch');
  assert.ok(batchState(), 'the extension still works');
  if (driver.available()) {
    const shown: { images: number; loaded: number } = await driver.call('panelImages', {
      expected: batchState()!.candidates.length,
    });
    assert.equal(shown.loaded, batchState()!.candidates.length, 'the panel shows the batch');
    assert.match(await driver.call('statusBarText'), new RegExp(`${openBefore}: \\d+ labels`));
  }
});

deleteHeadTest(suite, () => api, until);

storeRefreshTest(suite, () => api, until);
runSettingsTest(suite, () => api);

// Last: it switches the store to Pinecone and back.
pineconeStoreTest(suite, () => api, until);

export function run(): Promise<void> {
  return suite.run();
}
