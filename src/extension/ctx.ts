import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { IndexReport } from '../core/ingest/index-folder';
import type { Method, Params, Result } from '../protocol/rpc';
import type { EngineConfig, EvaluationSummary, HeadSummary, WorkerProtocol } from '../protocol/worker-protocol';
import { engineConfig, readSettings, Settings, workspaceRoot } from './config';
import { createLog } from './log';
import { StatusBar } from './status-bar';
import { EngineError, WorkerClient } from './worker-client';

const OPEN_HEAD_KEY = 'vectorTune.openHeadDir';

/** A failure the user can fix, shown as is (no "Show Log" noise). */
export class UserFacingError extends Error {}

/**
 * The extension's shared state: log, settings, status bar, the worker that runs the engine, and the open
 * head. Commands and the panel get everything through it, so none of them holds state of its own.
 */
export class Ctx implements vscode.Disposable {
  readonly log = createLog();
  readonly statusBar = new StatusBar();
  private worker: WorkerClient | undefined;
  private configured: string | undefined;
  head: HeadSummary | undefined;
  storeCount: number | undefined;
  /** The last indexing report, evaluation and error shown, for the status and for tests. */
  lastIndexReport: IndexReport | undefined;
  lastError: string | undefined;
  lastEvaluation: EvaluationSummary | undefined;
  private readonly headListeners = new Set<() => void>();

  constructor(readonly extension: vscode.ExtensionContext) {}

  get settings(): Settings {
    return readSettings();
  }

  /** The workspace root, or a clear error when no folder is open. */
  root(): string {
    const root = workspaceRoot();
    if (!root) throw new UserFacingError('Vector Tune needs an open folder: open your project folder first (File > Open Folder...).');
    return root;
  }

  engineConfig(): EngineConfig {
    return engineConfig(this.settings, this.root(), path.join(this.extension.globalStorageUri.fsPath, 'models'));
  }

  /** Sends a request to the worker, starting and configuring it first when needed. */
  async request<M extends Method<WorkerProtocol>>(
    method: M,
    params: Params<WorkerProtocol, M>,
    options?: { signal?: AbortSignal; onProgress?: (p: { done: number; total: number; message: string }) => void },
  ): Promise<Result<WorkerProtocol, M>> {
    const worker = await this.engine();
    return worker.request(method, params, options);
  }

  private async engine(): Promise<WorkerClient> {
    if (!this.worker) {
      const workerPath = path.join(this.extension.extensionPath, 'dist', 'worker.js');
      this.worker = new WorkerClient(workerPath, (level, message) => this.log[level](message));
    }
    const config = this.engineConfig();
    const key = JSON.stringify(config);
    if (key !== this.configured) {
      await this.worker.request('configure', config);
      this.configured = key;
    }
    return this.worker;
  }

  /** Records the open head (persisted, so a window reload reopens it) and refreshes the status bar. */
  setHead(head: HeadSummary | undefined): void {
    this.head = head;
    if (head) this.storeCount = head.storeCount;
    void this.extension.workspaceState.update(OPEN_HEAD_KEY, head ? path.dirname(head.weightsFile) : undefined);
    this.statusBar.show(head, this.storeCount);
    for (const listener of this.headListeners) listener();
  }

  onHeadChanged(listener: () => void): vscode.Disposable {
    this.headListeners.add(listener);
    return new vscode.Disposable(() => this.headListeners.delete(listener));
  }

  async refreshStore(): Promise<void> {
    const info = await this.request('storeInfo', {});
    this.storeCount = info?.count;
    this.statusBar.show(this.head, this.storeCount);
  }

  /** Reopens the head that was open before the window reloaded, if its folder still exists. */
  async restoreHead(): Promise<void> {
    const dir = this.extension.workspaceState.get<string>(OPEN_HEAD_KEY);
    if (!dir || !workspaceRoot() || !fs.existsSync(path.join(dir, 'classifier.weights.json'))) return;
    try {
      const { head, repairs } = await this.request('openHead', { headDir: dir });
      for (const note of repairs) this.log.warn(`head "${head.name}": ${note}`);
      this.setHead(head);
    } catch (err) {
      this.log.warn(`could not reopen head ${dir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Shows an error: user errors plainly, anything else logged with its stack and offered the log. */
  async showError(err: unknown, doing: string): Promise<void> {
    if (err instanceof Error && err.name === 'AbortError') return;
    const userError = err instanceof UserFacingError || (err instanceof EngineError && err.userError);
    const message = err instanceof Error ? err.message : String(err);
    this.log.error(`${doing}: ${err instanceof Error && !userError ? err.stack ?? message : message}`);
    this.lastError = message;
    void vscode.window.showErrorMessage(userError ? message : `Vector Tune: ${doing} failed: ${message}`, 'Show Log').then((choice) => {
      if (choice === 'Show Log') this.log.show();
    });
  }

  dispose(): void {
    void this.worker?.dispose();
    this.statusBar.dispose();
    this.log.dispose();
  }
}
