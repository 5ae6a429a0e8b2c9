/**
 * The audit sample in the panel, in a real VS Code with the real worker and model: Draw Audit Sample draws it into
 * the head's audit.jsonl and shows its records as a batch marked "audit"; the scores given there go to audit.jsonl
 * and nowhere else (labels.jsonl and the weights unchanged); the header shows the audit estimates; and a -diverse
 * strategy picked in the panel's Strategy list gives the head's next batch.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';
import type { PanelState } from '../../../src/protocol/webview-protocol';
import { driver, type Suite, type TestContext, type Until } from './harness';

type BatchState = Extract<PanelState, { kind: 'batch' }>;

/** Two audit batches, two training rounds and a few driver round trips: 10-40 s on a loaded machine. */
const TIMEOUT_MS = 120_000;

const auditScores = async (file: string) =>
  (await fs.readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .slice(1)
    .map((l) => JSON.parse(l) as { id: string; score: number | null });

export function auditPanelTest(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  const batch = () =>
    api().panel.currentState.kind === 'batch' ? (api().panel.currentState as BatchState) : undefined;

  suite.test(
    'an audit sample drawn and labelled in the panel: marked "audit", scores into audit.jsonl only, estimates in the header',
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      const { ctx } = api();
      await vscode.commands.executeCommand('vectorTune.nextBatch');
      await until('an unscored batch of the head', () => (batch() && !batch()!.source ? batch() : undefined));
      await vscode.commands.executeCommand('notifications.clearAll');
      const head = ctx.head!;
      const dir = path.dirname(head.weightsFile);
      const labelsBefore = await fs.readFile(head.labelsFile, 'utf8');
      const weightsBefore = await fs.readFile(head.weightsFile, 'utf8');

      await vscode.commands.executeCommand('vectorTune.drawAuditSample', 10, 5);
      const sample = await auditScores(path.join(dir, 'audit.jsonl'));
      assert.equal(sample.length, 10, `the sample was drawn (last error: ${ctx.lastError})`);
      const first = await until('the audit batch', () => (batch()?.source?.kind === 'audit' ? batch() : undefined));
      assert.deepEqual(
        first.candidates.map((c) => c.id),
        sample.slice(0, 8).map((i) => i.id),
        "the sample's records in the order drawn, batchSize at a time",
      );
      assert.match(
        await driver.call('panelText', { selector: '[data-testid=audit-banner]', contains: 'AUDIT' }),
        /not chosen by the head.*never trained on.*0 of 10 audit records labelled/s,
      );
      assert.equal(await driver.call('panelText', { selector: '[data-testid=batch-source]' }), 'Audit sample');
      assert.match(await driver.call('panelText', { selector: '[data-testid=submit]' }), /Save Audit Scores/);

      // +1, -1, -1 on the first three; the other five are skipped.
      await driver.call('pressKeys', { keys: ['Home', '5', '1', '1'] });
      await driver.call('panelScreenshot', { name: 'panel-audit' });
      await driver.call('pressKeys', { keys: ['Enter'] });
      const second = await until('the next audit batch', () =>
        batch()?.source?.kind === 'audit' && batch()!.batchId !== first.batchId ? batch() : undefined,
      );
      assert.deepEqual(
        second.candidates.map((c) => c.id),
        sample.slice(8).map((i) => i.id),
        'scored and skipped records are not offered again',
      );
      const scored = await auditScores(path.join(dir, 'audit.jsonl'));
      assert.deepEqual(
        scored.map((i) => i.score),
        [1, -1, -1, null, null, null, null, null, null, null],
      );
      assert.equal(await fs.readFile(head.labelsFile, 'utf8'), labelsBefore, 'labels.jsonl is untouched');
      assert.equal(await fs.readFile(head.weightsFile, 'utf8'), weightsBefore, 'nothing was trained');
      assert.equal(ctx.head?.labelCount, head.labelCount);
      const audit = second.head.audit!;
      assert.deepEqual([audit.size, audit.scored, audit.positives], [10, 3, 1]);
      assert.ok(audit.prevalence && audit.prevalence.low < 1 / 3 && audit.prevalence.high > 1 / 3);
      assert.equal(
        await driver.call('panelText', { selector: '[data-testid=audit-labelled]' }),
        '3 of 10 audit records labelled (1 positive)',
      );
      assert.match(
        await driver.call('panelText', { selector: '[data-testid=audit-prevalence]' }),
        /^est\. prevalence 0\.33 \[0\.\d\d-0\.\d\d\]$/,
      );
      assert.match(
        await driver.call('panelText', { selector: '[data-testid=audit-recall]' }),
        /^est\. recall (n\/a|[01]\.\d\d \[)/,
      );
      assert.match(await driver.call('panelText', { selector: '[data-testid=audit-ap]' }), /^est\. AP /);

      // The last two scored: nothing unscored is left but the skipped, so the head's own batches follow.
      await driver.call('pressKeys', { keys: ['Home', '1', '1', 'Enter'] });
      const own = await until("the head's own batch", () => (batch() && !batch()!.source ? batch() : undefined));
      assert.equal(own.head.audit?.scored, 5);
      await driver.call('panelText', { selector: '[data-testid=audit-labelled]', contains: '5 of 10' });
      assert.equal(
        await driver.call('panelText', { selector: '[data-testid=audit-banner]' }).catch(() => ''),
        '',
        'no audit banner over the head batch',
      );
      assert.ok(!own.candidates.some((c) => sample.some((i) => i.id === c.id)), 'the sample is never in a batch');

      // Two training rounds: the stop rule watches the sample from the first, and has a kappa after the second.
      let shown = own;
      for (let round = 0; round < 2; round++) {
        await driver.call('pressKeys', { keys: ['Home', '1', 'Enter'] });
        const previous = shown.batchId;
        shown = await until('the next batch', () => (batch() && batch()!.batchId !== previous ? batch() : undefined));
      }
      const stop = shown.head.audit?.stop;
      assert.ok(stop && stop.kappa >= -1 && stop.kappa <= 1, 'a kappa after the second round');
      assert.match(
        await driver.call('panelText', { selector: '[data-testid=audit-stop]', contains: 'stop rule' }),
        /^(stop rule: kappa -?[01]\.\d{3}, [0-3] of 3 rounds above 0\.99|Stop rule: decisions stable)/,
      );
    },
    { timeoutMs: TIMEOUT_MS },
  );

  suite.test(
    'a -diverse strategy picked in the panel gives the next batch',
    async (t: TestContext) => {
      if (!driver.available()) t.skip('needs the page driver', driver.NO_DRIVER);
      const config = () => vscode.workspace.getConfiguration('vectorTune');
      const before = await until('an unscored batch of the head', () =>
        batch() && !batch()!.source ? batch() : undefined,
      );
      try {
        await driver.call('selectOption', { testid: 'strategy-select', value: 'top-diverse' });
        const diverse = await until('the batch asked for again with top-diverse', () =>
          batch()?.head.strategy === 'top-diverse' && batch()!.batchId !== before.batchId ? batch() : undefined,
        );
        // Full, unless fewer unseen records are left (earlier tests have seen most of the 40): a diverse batch
        // fills up from its pool once near-duplicates are passed over.
        const unseen = diverse.head.storeCount - diverse.head.seenCount;
        assert.ok(diverse.candidates.length > 0);
        assert.equal(diverse.candidates.length, Math.min(8, unseen), `unseen ${unseen}`);
        assert.match(
          await driver.call('panelText', { selector: '[data-testid=batch-source]' }),
          /top-diverse strategy/,
        );
        await driver.call('panelScreenshot', { name: 'panel-diverse' });
      } finally {
        // Changing the setting drops the panel's choice (batch-options.ts).
        await config().update('strategy', 'mixed', vscode.ConfigurationTarget.Workspace);
        await config().update('strategy', undefined, vscode.ConfigurationTarget.Workspace);
      }
    },
    { timeoutMs: TIMEOUT_MS },
  );
}
