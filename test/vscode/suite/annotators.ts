/**
 * Two annotators' lines in the open head's labels.jsonl (written here, as a merge=union merge brings them in), then
 * the Labelled view in a real VS Code: the "Annotators disagree" order lists the images they differ on, largest
 * first, with each one's score on the row; the kappa table (opened from the keyboard) shows the pair's weighted
 * kappa; settling one appends a settled line by this window's annotator. Screenshots: labelled-annotators.png,
 * labelled-annotators-settled.png.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';
import type { PanelState } from '../../../src/protocol/webview-protocol';
import { driver, type Suite, type TestContext, type Until } from './harness';

type Labelled = Extract<PanelState, { kind: 'labelled' }>;
interface Row {
  id: string;
  score: number;
  annotators: string | null;
}
/** The watcher's retrain, the view's load and a settle's retrain: seconds each on the loaded 2-core machine. */
const TIMEOUT_MS = 120_000;
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

export function annotatorsTest(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  const labelled = () =>
    api().panel.currentState.kind === 'labelled' ? (api().panel.currentState as Labelled) : undefined;

  suite.test(
    "the Labelled view lists annotators' disagreements and their kappa, and settles one into labels.jsonl",
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      const file = api().ctx.head!.labelsFile;
      const history = (await fs.readFile(file, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string; path?: string; round: number });
      // Six images of the store (every id the file ever named is one), scored by Alice, then by Bob: the same on
      // four, the opposite on one (a disagreement of 2), undecided on one (1).
      const ids = [...new Map(history.map((l) => [l.id, l])).values()].slice(0, 6);
      assert.equal(ids.length, 6, 'the earlier tests labelled at least six images');
      const round = Math.max(...history.map((l) => l.round)) + 1;
      const alice = [1, -1, 1, -1, 1, -1];
      const bob = [1, -1, 1, -1, -1, 0];
      const line = (l: { id: string; path?: string }, score: number, by: string) =>
        JSON.stringify({ id: l.id, path: l.path, score, round, time: new Date().toISOString(), by }) + '\n';
      const told = api().panel.labelsWatcher.told.length;
      await fs.appendFile(file, ids.map((l, i) => line(l, alice[i], ALICE) + line(l, bob[i], BOB)).join(''));
      await until('the watcher to take the lines', () => api().panel.labelsWatcher.told.length > told, 30_000);

      await vscode.commands.executeCommand('vectorTune.showLabelled');
      const view = await until('the Labelled view', labelled, 30_000);
      // The pair's kappa by its definition: 1 - mean (a_i - b_i)^2 / mean over all pairings (a_i - b_j)^2.
      const observed = alice.reduce((s, a, i) => s + (a - bob[i]) ** 2, 0) / 6;
      const expected = alice.reduce((s, a) => s + bob.reduce((s2, b) => s2 + (a - b) ** 2, 0), 0) / 36;
      const kappa = (1 - observed / expected).toFixed(2);
      const pair = view.agreement.pairs.find((p) => p.a === ALICE && p.b === BOB);
      assert.deepEqual(pair, { a: ALICE, b: BOB, shared: 6, kappa });

      const table = await driver.call<string>('labelledKappa');
      assert.ok(table.split('\n').includes(`${ALICE}\t${BOB}\t6\t${kappa}`), `the kappa table:\n${table}`);
      const rows = await driver.call<Row[]>('labelled', { sort: 'annotators', screenshot: 'labelled-annotators' });
      assert.deepEqual(
        rows.map((r) => r.id),
        [ids[4].id, ids[5].id],
        'only the images the annotators differ on, largest disagreement first',
      );
      assert.match(rows[0].annotators ?? '', new RegExp(`${ALICE} \\+1 · ${BOB} (-|−)1 — differ by 2\\.00`));

      const linesBefore = (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).length;
      await driver.call('labelled', { settle: { id: ids[4].id, value: 0.5 } });
      await until('the settle in the view', () => {
        const record = labelled()?.records.find((r) => r.id === ids[4].id);
        return record?.score === 0.5 && record.annotators?.settled?.score === 0.5;
      });
      const appended = (await fs.readFile(file, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .slice(linesBefore)
        .map((l) => JSON.parse(l));
      assert.equal(appended.length, 1, 'one line appended');
      assert.deepEqual([appended[0].id, appended[0].score, appended[0].settled], [ids[4].id, 0.5, true]);
      assert.ok(
        appended[0].by && ![ALICE, BOB].includes(appended[0].by),
        `by this window's annotator: ${appended[0].by}`,
      );
      assert.deepEqual(
        labelled()!.agreement.pairs.find((p) => p.a === ALICE)?.kappa,
        kappa,
        'settling leaves the kappa as it is',
      );
      const settledRows = await until('the settled row in the DOM', async () => {
        const shown = await driver.call<Row[]>('labelled', {});
        return shown[1]?.annotators?.includes('settled at') ? shown : undefined;
      });
      assert.deepEqual(
        settledRows.map((r) => r.id),
        [ids[5].id, ids[4].id],
        'the open disagreement first, the settled one after it',
      );
      await driver.call('labelled', { screenshot: 'labelled-annotators-settled' });
      await driver.call('labelled', { back: true });
      await until('the batch again', () => api().panel.currentState.kind === 'batch');
    },
    { timeoutMs: TIMEOUT_MS },
  );
}
