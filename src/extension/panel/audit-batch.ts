import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { AuditView, EstimateView, PanelState, SubmitResult, ToPanel } from '../../protocol/webview-protocol';
import type { AuditFigures, HeadSummary } from '../../protocol/worker-protocol';
import type { Estimate } from '../../core/audit/intervals';
import type { Verdict } from '../../core/tune/session-types';
import type { RoundProgressWithStop } from '../../core/tune/progress';
import { STOP_KAPPA, STOP_ROUNDS } from '../../core/tune/stop-rule';
import { type Ctx, UserFacingError } from '../ctx';
import type { BatchStore, PendingBatch } from './batch-store';

/** What labelling the audit sample needs from the panel controller. */
export interface AuditHost {
  ctx: Ctx;
  batches: BatchStore;
  batchSize: number;
  post(state: PanelState): void;
  send(message: ToPanel): void;
  showBatch(pending: PendingBatch, head: HeadSummary): void;
  /** Shows the head's own next batch (of `head` as it is now; without it, of the open head). */
  headBatch(head?: HeadSummary): Promise<void>;
}

/**
 * The head's audit sample labelled in the panel, a batch at a time: its records are random, not chosen by the head,
 * so the batch is marked "audit", and its scores go to audit.jsonl through the worker, never to labels.jsonl nor
 * into training. Records the user skips stay unscored and are not offered again in this session (else the same
 * skipped records would come back first every time).
 */
export class AuditBatches {
  private readonly skipped = new Map<string, Set<string>>();

  /**
   * Shows the next audit batch of the open head; false when every record of its sample is scored (or skipped in
   * this session). A batch with unsubmitted scores on screen is not replaced: they would be lost.
   */
  async show(host: AuditHost): Promise<boolean> {
    const head = host.ctx.head;
    if (!head) throw new UserFacingError('No head is open: start or open a head first, then label its audit sample.');
    const headDir = path.dirname(head.weightsFile);
    const pending = host.batches.get(headDir);
    if (pending && pending.source?.kind !== 'audit') {
      const unsubmitted = Object.values(pending.draft).filter((s) => s !== null).length;
      if (unsubmitted > 0)
        throw new UserFacingError(
          `The batch on screen has ${unsubmitted} unsubmitted score${unsubmitted === 1 ? '' : 's'}: submit them (Enter) or clear them (0) first, then label the audit sample.`,
        );
    }
    if (pending?.source?.kind === 'audit') {
      host.showBatch(pending, head);
      return true;
    }
    host.post({ kind: 'loading', message: `Finding unscored records of the audit sample of "${head.name}"...` });
    const {
      head: fresh,
      candidates,
      unscored,
    } = await host.ctx.request('auditBatch', {
      headDir,
      k: host.batchSize,
      skip: [...(this.skipped.get(headDir) ?? [])],
    });
    host.ctx.setHead(fresh);
    if (candidates.length === 0) return false;
    const batch: PendingBatch = {
      headDir,
      batchId: randomUUID(),
      candidates,
      draft: {},
      source: { kind: 'audit', unscored },
    };
    await host.batches.set(batch);
    host.showBatch(batch, fresh);
    return true;
  }

  /** Label Audit Sample: the next audit batch, or, when none is left, says so and goes back to the head's batches. */
  async label(host: AuditHost): Promise<void> {
    if (await this.show(host)) return;
    const audit = host.ctx.head?.audit;
    void vscode.window.showInformationMessage(
      audit && audit.size > 0
        ? `Every record of the audit sample is scored (or skipped in this session): ${audit.scored} of ${audit.size}.`
        : 'This head has no audit sample: run Vector Tune: Draw Audit Sample first.',
    );
    await host.headBatch();
  }

  /**
   * The panel's submit of an audit batch: the scores go to audit.jsonl only (no training round); then the next audit
   * batch, or the head's own once the sample is done. `fail` answers the panel when the scores could not be written.
   */
  async submitFromPanel(
    host: AuditHost,
    requestId: number,
    pending: PendingBatch,
    verdicts: Verdict[],
    fail: (message: string) => void,
  ): Promise<void> {
    try {
      const head = await this.submit(host, pending, verdicts);
      const result: SubmitResult = {
        head: head.name,
        round: 0,
        labelCount: head.labelCount,
        loss: 0,
        moved: 0,
        audit: true,
      };
      host.send({ kind: 'response', id: requestId, ok: true, result });
      if (!(await this.show(host))) await host.headBatch(head);
    } catch (err) {
      host.ctx.log.error(`audit scores: ${err instanceof Error ? err.stack : String(err)}`);
      fail(`${err instanceof Error ? err.message : String(err)} Your scores are kept; press Enter to retry.`);
    }
  }

  /** Writes the audit batch's scores into audit.jsonl; the records left unscored count as skipped. */
  private async submit(host: AuditHost, pending: PendingBatch, verdicts: Verdict[]): Promise<HeadSummary> {
    const head = await host.ctx.request('scoreAudit', { headDir: pending.headDir, scores: verdicts });
    const skipped = this.skipped.get(pending.headDir) ?? new Set<string>();
    for (const v of verdicts) if (v.score === null) skipped.add(v.id);
    this.skipped.set(pending.headDir, skipped);
    await host.batches.set(undefined);
    const scored = verdicts.filter((v) => v.score !== null).length;
    host.ctx.log.info(`head "${head.name}": ${scored} audit record(s) scored into audit.jsonl (not trained on)`);
    host.ctx.setHead(head);
    return head;
  }
}

/** The worker's audit figures as the panel header shows them (NaN, undefined, becomes null for the webview). */
export function auditView(figures: AuditFigures, lastRound?: RoundProgressWithStop): AuditView {
  const e = figures.estimates;
  const view = (x: Estimate | undefined): EstimateView =>
    x && Number.isFinite(x.value) ? { value: x.value, low: x.low, high: x.high } : null;
  return {
    size: figures.size,
    scored: figures.scored,
    positives: e?.positives ?? 0,
    thresholdFrom: figures.thresholdFrom,
    prevalence: view(e?.prevalence),
    precision: view(e?.precision),
    recall: view(e?.recall),
    ap: view(e?.ap),
    ...(figures.error ? { error: figures.error } : {}),
    ...(lastRound?.stopKappa !== undefined
      ? {
          stop: {
            kappa: lastRound.stopKappa,
            streak: lastRound.stopStreak ?? 0,
            fired: lastRound.stopFired ?? false,
            level: STOP_KAPPA,
            window: STOP_ROUNDS,
          },
        }
      : {}),
  };
}
