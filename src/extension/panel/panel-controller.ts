import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type {
  FromPanel,
  HeadView,
  PanelSearch,
  PanelState,
  ScoreEntry,
  SubmitResult,
  ToPanel,
} from '../../protocol/webview-protocol';
import { parseWebviewMessage, ProtocolError } from '../../protocol/webview-protocol';
import type { HeadSummary } from '../../protocol/worker-protocol';
import type { Ctx } from '../ctx';
import { makeNonce, renderPanelHtml } from './panel-html';
import { BatchStore, PendingBatch } from './batch-store';
import { BatchOptions } from './batch-options';
import { LabelledPanel } from './labelled-panel';
import { LabelsWatcher } from './labels-watcher';
import { PanelResources } from './panel-resources';
import { answerSearch } from './panel-search';
import { AuditBatches, type AuditHost, auditView } from './audit-batch';

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const PANEL_VIEW_TYPE = 'vectorTune.scoringPanel';

/**
 * The scoring panel's extension side: creates (or restores) the webview, shows batches, validates every
 * message from it, and runs submit -> train -> next batch through the worker. Scores are on disk (the
 * worker appends them to labels.jsonl) before the panel is told the submit succeeded.
 */
export class PanelController implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private state: PanelState = { kind: 'loading', message: 'Starting...' };
  /** The last submitted round, shown in the header only while that head is open. */
  private lastRound: { head: string; round: NonNullable<HeadView['lastRound']> } | undefined;
  private readonly batches: BatchStore;
  /** Strategy and batch size: the settings, or what the panel's header chose (batch-options.ts). */
  private readonly options: BatchOptions;
  private readonly resources: PanelResources;
  private readonly disposables: vscode.Disposable[] = [];
  /** Batches submitted (or being submitted) in this session: each is trained on once. */
  private readonly submitted = new Set<string>();
  /** The head's audit sample, labelled in batches marked "audit" (audit-batch.ts). */
  private readonly audit = new AuditBatches();
  /** Every message the panel sent that failed validation (for the log and the tests). */
  readonly rejected: string[] = [];

  /** The open head's labels.jsonl, watched while the panel is open. */
  readonly labelsWatcher: LabelsWatcher;
  /** The Labelled view (review, relabel, remove, undo across rounds). */
  readonly labelled: LabelledPanel;

  constructor(private readonly ctx: Ctx) {
    this.batches = new BatchStore(ctx.extension.workspaceState);
    this.resources = new PanelResources(ctx, () => this.panel);
    // After an outside change the batch on screen stays (its images are still unseen); its header is refreshed.
    this.labelsWatcher = new LabelsWatcher(ctx, () => (this.labelled.showing ? this.labelled.show() : this.refresh()));
    this.labelled = new LabelledPanel(ctx, {
      post: (state) => this.post(state),
      headView: (head) => this.headView(head),
      srcOf: (relative) => this.resources.src(relative),
      fail: (doing, err) => this.post({ kind: 'error', message: `${doing}: ${errorText(err)}`, action: 'showLog' }),
    });
    this.options = new BatchOptions(
      ctx.extension.workspaceState,
      () => ctx.settings,
      () => void this.optionsChanged(),
    );
    this.disposables.push(
      this.labelsWatcher,
      ctx.onHeadChanged(() => {
        if (!this.panel) return;
        this.labelsWatcher.watch();
        // Closed under the panel (it could not be reopened on another store, or was deleted): stop showing it.
        if (!ctx.head && 'head' in this.state) void this.refresh();
      }),
      this.options,
      // Indexing finished (or the store emptied): a panel saying "No images indexed yet" must not stay stale.
      ctx.onStoreChanged(() => {
        if (this.panel && ['empty-store', 'no-head', 'all-seen'].includes(this.state.kind)) void this.refresh(true);
      }),
    );
  }

  get visiblePanel(): vscode.WebviewPanel | undefined {
    return this.panel;
  }

  get currentState(): PanelState {
    return this.state;
  }

  /** Opens the panel (or reveals it) and shows the pending batch or the state that fits. */
  async show(): Promise<void> {
    this.open();
    await this.refresh();
  }

  /** Called by the serializer after a window reload: the panel comes back with its batch. */
  async restore(panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = this.resources.options();
    this.attach(panel);
    await this.refresh();
  }

  /**
   * Shows the pending batch if there is one, else queries the next batch (or the state explaining why not).
   * `preserveFocus`: the focus stays where it is (a click on a head in the Heads view keeps the view focused).
   */
  async nextBatch(options: { preserveFocus?: boolean } = {}): Promise<void> {
    this.open(options.preserveFocus);
    await this.refresh(true);
  }

  /**
   * Shows a batch of the audit sample's unscored records, marked "audit"; when none is left, says so and goes back
   * to the head's own batches.
   */
  async labelAudit(): Promise<void> {
    this.open();
    await this.audit.label(this.auditHost());
  }

  private auditHost(): AuditHost {
    return {
      ctx: this.ctx,
      batches: this.batches,
      batchSize: this.options.batchSize,
      post: (state) => this.post(state),
      send: (message) => this.send(message),
      showBatch: (pending, head) => this.post(this.batchState(pending, head)),
      headBatch: (head) => (head ? this.query(head) : this.refresh(true)),
    };
  }

  /** Creates the panel, or reveals the one there is. */
  private open(preserveFocus?: boolean): void {
    if (this.panel) return this.panel.reveal(undefined, preserveFocus);
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Vector Tune',
      vscode.ViewColumn.Active,
      this.resources.options(),
    );
    this.attach(panel);
  }

  private async refresh(queryIfNone = false): Promise<void> {
    const head = this.ctx.head;
    if (!head) {
      await this.ctx.refreshStore().catch(() => undefined);
      this.post(this.ctx.storeCount ? { kind: 'no-head', storeCount: this.ctx.storeCount } : { kind: 'empty-store' });
      return;
    }
    const pending = this.batches.get(path.dirname(head.weightsFile));
    if (pending) {
      this.post(this.batchState(pending, head));
      return;
    }
    if (!queryIfNone && this.state.kind === 'batch') return;
    await this.query(head);
  }

  private async query(head: HeadSummary): Promise<void> {
    this.post({
      kind: 'loading',
      message: `Finding the next ${this.options.batchSize} images for "${head.name}"...`,
    });
    try {
      const {
        head: fresh,
        candidates,
        notes,
      } = await this.ctx.request('nextBatch', {
        headDir: path.dirname(head.weightsFile),
        k: this.options.batchSize,
        strategy: this.options.strategy,
        diverseSimilarity: this.ctx.settings.diverseSimilarity,
      });
      this.ctx.setHead(fresh);
      this.labelsWatcher.tell(fresh.name, notes ?? []);
      if (candidates.length === 0) {
        this.post(fresh.storeCount === 0 ? { kind: 'empty-store' } : { kind: 'all-seen', head: this.headView(fresh) });
        return;
      }
      const pending: PendingBatch = {
        headDir: path.dirname(fresh.weightsFile),
        batchId: randomUUID(),
        candidates,
        draft: {},
      };
      await this.batches.set(pending);
      this.post(this.batchState(pending, fresh));
    } catch (err) {
      this.post({ kind: 'error', message: err instanceof Error ? err.message : String(err), action: 'showLog' });
      this.ctx.log.error(`next batch: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.labelsWatcher.watch();
    panel.iconPath = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media', 'icon.svg');
    const nonce = makeNonce();
    const asUri = (...p: string[]) =>
      panel.webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extension.extensionUri, ...p)).toString();
    panel.webview.html = renderPanelHtml({
      cspSource: panel.webview.cspSource,
      nonce,
      scriptUri: asUri('dist', 'webview.js'),
      styleUri: asUri('media', 'panel.css'),
      title: 'Vector Tune',
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => void this.onMessage(raw)),
      panel.onDidDispose(() => {
        // A panel disposed after another was attached (a window reload's restore) leaves the new one alone.
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.labelsWatcher.stop();
      }),
    );
  }

  private async onMessage(raw: unknown): Promise<void> {
    let message: FromPanel;
    try {
      message = parseWebviewMessage(raw);
    } catch (err) {
      const reason = err instanceof ProtocolError ? err.message : String(err);
      this.rejected.push(reason);
      this.ctx.log.warn(`ignored a malformed message from the scoring panel: ${reason}`);
      return;
    }
    if (message.kind === 'request') {
      if (message.method === 'search') await this.search(message.id, message.params.query);
      else await this.submit(message.id, message.params.batchId, message.params.scores);
      return;
    }
    switch (message.method) {
      case 'ready':
        this.send({ kind: 'state', state: this.state });
        return;
      case 'draft':
        await this.batches.saveDraft(message.batchId, message.scores);
        return;
      case 'openImage': {
        const file = this.fileOf(message.id);
        if (file) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), vscode.ViewColumn.Beside);
        return;
      }
      case 'runAction':
        await vscode.commands.executeCommand(`vectorTune.${message.action}`);
        return;
      case 'changeLabel':
        if (!(await this.labelled.change(message.id, message.score)))
          this.rejected.push('a label change for an image the Labelled view does not show');
        return;
      case 'undoLabels':
        await this.labelled.undoLast();
        return;
      case 'settleLabel':
        if (!(await this.labelled.settle(message.id, message.score)))
          this.rejected.push('a settle for an image the Labelled view does not show');
        return;
      case 'revealImage': {
        const file = this.fileOf(message.id);
        if (file) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(file));
        return;
      }
      case 'batchOptions':
        if (await this.options.set({ strategy: message.strategy, batchSize: message.batchSize }))
          await this.optionsChanged();
        return;
    }
  }

  private async search(requestId: number, query: PanelSearch): Promise<void> {
    const host = {
      ctx: this.ctx,
      batches: this.batches,
      batchSize: this.options.batchSize,
      state: this.state,
      post: (state: PanelState) => this.post(state),
      showBatch: (pending: PendingBatch, head: HeadSummary) => this.post(this.batchState(pending, head)),
    };
    this.send(await answerSearch(host, requestId, query, this.rejected));
  }

  /**
   * A new strategy or batch size: a head batch nobody has scored yet is asked for again with it (its images were
   * not marked seen, so nothing is lost); otherwise the header shows the choice and the next batch follows it.
   */
  private async optionsChanged(): Promise<void> {
    const head = this.ctx.head;
    if (!this.panel || !head) return;
    const pending = this.batches.get(path.dirname(head.weightsFile));
    if (!pending) return;
    const untouched = !pending.source && Object.values(pending.draft).every((s) => s === null);
    if (untouched) {
      await this.batches.set(undefined);
      await this.query(head);
    } else {
      this.post(this.batchState(pending, head));
    }
  }

  private async submit(requestId: number, batchId: string, scores: ScoreEntry[]): Promise<void> {
    const head = this.ctx.head;
    const pending = head && this.batches.get(path.dirname(head.weightsFile));
    const fail = (message: string) =>
      this.send({ kind: 'response', id: requestId, ok: false, error: { message, userError: true } });
    if (this.submitted.has(batchId)) {
      this.rejected.push('a second submit of the same batch');
      return fail('This batch was already submitted.');
    }
    if (!head || !pending || pending.batchId !== batchId) {
      this.rejected.push('submit for a batch that is not on screen');
      return fail('This batch is no longer current; showing the current one.');
    }
    const shown = new Set(pending.candidates.map((c) => c.id));
    const unknown = scores.filter((s) => !shown.has(s.id));
    if (unknown.length > 0 || new Set(scores.map((s) => s.id)).size !== scores.length) {
      this.rejected.push('submit naming records outside the batch');
      return fail('The submission named images that are not in this batch.');
    }
    // Images left unscored are skipped: seen, but not labelled.
    const scored = new Map(scores.map((s) => [s.id, s.score]));
    const verdicts = pending.candidates.map((c) => ({ id: c.id, score: scored.get(c.id) ?? null }));
    // Guards a re-shown panel (or a double Enter) from submitting the batch twice while the first is running.
    this.submitted.add(batchId);
    if (pending.source?.kind === 'audit')
      return this.audit.submitFromPanel(this.auditHost(), requestId, pending, verdicts, (message) => {
        this.submitted.delete(batchId);
        fail(message);
      });
    try {
      const { head: fresh, result } = await this.ctx.request('submit', { headDir: pending.headDir, verdicts });
      await this.batches.set(undefined);
      this.labelled.undo.forHead(pending.headDir).roundSubmitted(
        result.round,
        verdicts.filter((v) => v.score !== null).map((v) => v.id),
      );
      const summary: SubmitResult = {
        head: fresh.name,
        round: result.round,
        labelCount: result.labelCount,
        loss: result.loss,
        moved: result.moved,
      };
      this.lastRound = { head: fresh.name, round: { round: result.round, loss: result.loss, moved: result.moved } };
      this.ctx.log.info(
        `head "${fresh.name}" round ${result.round}: ${result.labelCount} labels, loss ${result.loss.toFixed(4)}, w moved ${result.moved.toFixed(4)}`,
      );
      this.labelsWatcher.tell(fresh.name, result.notes ?? []);
      this.send({ kind: 'response', id: requestId, ok: true, result: summary });
      this.ctx.setHead(fresh);
      await this.query(fresh);
    } catch (err) {
      this.ctx.log.error(`submit: ${err instanceof Error ? err.stack : String(err)}`);
      this.submitted.delete(batchId);
      return fail(`${err instanceof Error ? err.message : String(err)} Your scores are kept; press Enter to retry.`);
    }
  }

  private batchState(pending: PendingBatch, head: HeadSummary): PanelState {
    this.resources.allow(pending.candidates.map((c) => c.path));
    return {
      kind: 'batch',
      batchId: pending.batchId,
      head: this.headView(head),
      candidates: pending.candidates.map((c) => this.resources.view(c)),
      draft: pending.draft,
      ...(pending.source ? { source: pending.source } : {}),
    };
  }

  private headView(head: HeadSummary): HeadView {
    return {
      name: head.name,
      labelCount: head.labelCount,
      storeCount: head.storeCount,
      seenCount: head.seenCount,
      strategy: this.options.strategy,
      batchSize: this.options.batchSize,
      overridden: this.options.overridden,
      lastRound: this.lastRound?.head === head.name ? this.lastRound.round : undefined,
      progress: {
        positives: head.positives,
        negatives: head.negatives,
        neutral: head.labelCount - head.positives - head.negatives,
        rounds: head.rounds.map(({ round, hits, shown, churn, heldOut }) => ({
          round,
          hits,
          shown,
          churn,
          ...(heldOut ? { heldOutAp: heldOut.averagePrecision } : {}),
        })),
        settled: head.rounds.at(-1)?.settled ?? false,
      },
      ...(head.audit ? { audit: auditView(head.audit, head.rounds.at(-1)) } : {}),
    };
  }

  private fileOf(id: string): string | undefined {
    const head = this.ctx.head;
    const pending = head && this.batches.get(path.dirname(head.weightsFile));
    const candidate = pending?.candidates.find((c) => c.id === id);
    return candidate?.path ? this.resources.safeFile(candidate.path) : undefined;
  }

  /** Opens the panel (if needed) on the Labelled view of the open head. */
  async showLabelled(): Promise<void> {
    if (!this.panel) await this.show();
    else this.panel.reveal();
    if (this.ctx.head) await this.labelled.show();
  }

  private post(state: PanelState): void {
    if (state.kind !== 'labelled' && state.kind !== 'loading') this.labelled.hidden();
    this.state = state;
    this.send({ kind: 'state', state });
  }

  private send(message: ToPanel): void {
    void this.panel?.webview.postMessage(message);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
