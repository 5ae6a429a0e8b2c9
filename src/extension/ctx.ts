import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportSummary } from '../core/export/export-to-file';
import type { IndexReport } from '../core/ingest/index-folder';
import type { PredictReport } from '../core/predict/predict-folder';
import type { Method, Params, Result } from '../protocol/rpc';
import {
  type EngineConfig,
  locationChanged,
  type EvaluationSummary,
  type HeadSummary,
  type WorkerProtocol,
} from '../protocol/worker-protocol';
import {
  engineConfig,
  modelSettingsProblem,
  PINECONE_KEY_SECRET,
  pineconeConfig,
  readSettings,
  Settings,
  workspaceRoot,
} from './config';
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
  /** What the worker was last configured with (in memory only: it may hold the Pinecone key). */
  private configured: EngineConfig | undefined;
  head: HeadSummary | undefined;
  storeCount: number | undefined;
  /** The last indexing report, evaluation, prediction, export and error shown, for the status and for tests. */
  lastIndexReport: IndexReport | undefined;
  lastProgressMessage: string | undefined;
  lastError: string | undefined;
  lastEvaluation: EvaluationSummary | undefined;
  lastPrediction: PredictReport | undefined;
  lastExport: ExportSummary | undefined;
  private readonly headListeners = new Set<() => void>();
  private readonly storeListeners = new Set<() => void>();

  constructor(readonly extension: vscode.ExtensionContext) {}

  get settings(): Settings {
    return readSettings();
  }

  /** The workspace root, or a clear error when no folder is open. */
  root(): string {
    const root = workspaceRoot();
    if (!root)
      throw new UserFacingError(
        'Vector Tune needs an open folder: open your project folder first (File > Open Folder...).',
      );
    return root;
  }

  /** The folders and model (what commands need to find files); the worker's store comes with workerConfig(). */
  engineConfig(): EngineConfig {
    return engineConfig(this.settings, this.root(), path.join(this.extension.globalStorageUri.fsPath, 'models'));
  }

  /** engineConfig() plus the store: with vectorTune.store = "pinecone", the index settings and the key from SecretStorage. */
  async workerConfig(): Promise<EngineConfig> {
    const settings = this.settings;
    const problem = modelSettingsProblem(settings);
    if (problem) throw new UserFacingError(problem);
    const config = engineConfig(settings, this.root(), path.join(this.extension.globalStorageUri.fsPath, 'models'));
    if (settings.store !== 'pinecone') return config;
    const pinecone = pineconeConfig(settings.pinecone, await this.extension.secrets.get(PINECONE_KEY_SECRET));
    if ('missing' in pinecone) throw new UserFacingError(pinecone.missing);
    return { ...config, pinecone };
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
    const config = await this.workerConfig();
    const previous = this.configured;
    if (JSON.stringify(config) !== JSON.stringify(previous)) {
      await this.worker.request('configure', config);
      this.configured = config;
      // Another store or folder: the worker closed the head; open it again there, or let it go.
      if (previous && this.head && locationChanged(previous, config))
        await this.reopenHead(this.worker, path.dirname(this.head.weightsFile));
    }
    return this.worker;
  }

  private async reopenHead(worker: WorkerClient, headDir: string): Promise<void> {
    try {
      const { head, repairs } = await worker.request('openHead', { headDir });
      for (const note of repairs) this.log.warn(`head "${head.name}": ${note}`);
      this.setHead(head);
    } catch (err) {
      this.log.warn(
        `closed the head in ${headDir}: it could not be opened on the new store (${err instanceof Error ? err.message : String(err)})`,
      );
      this.setHead(undefined);
    }
  }

  /** Records the open head (persisted, so a window reload reopens it) and refreshes the status bar. */
  setHead(head: HeadSummary | undefined): void {
    this.head = head;
    if (head) this.storeCount = head.storeCount;
    void this.extension.workspaceState.update(OPEN_HEAD_KEY, head ? path.dirname(head.weightsFile) : undefined);
    this.statusBar.show(head, this.storeCount, this.remoteStore());
    for (const listener of this.headListeners) listener();
  }

  /** The Pinecone index name when the settings choose Pinecone, for the status bar. */
  private remoteStore(): string | undefined {
    const settings = this.settings;
    return settings.store === 'pinecone' ? settings.pinecone.index || '(no index set)' : undefined;
  }

  onHeadChanged(listener: () => void): vscode.Disposable {
    this.headListeners.add(listener);
    return new vscode.Disposable(() => this.headListeners.delete(listener));
  }

  async refreshStore(): Promise<void> {
    const info = await this.request('storeInfo', {});
    const changed = info?.count !== this.storeCount;
    this.storeCount = info?.count;
    this.statusBar.show(this.head, this.storeCount, this.remoteStore());
    if (changed) for (const listener of this.storeListeners) listener();
  }

  /** Called when the store's size changes (indexing finished), so views showing it refresh. */
  onStoreChanged(listener: () => void): vscode.Disposable {
    this.storeListeners.add(listener);
    return new vscode.Disposable(() => this.storeListeners.delete(listener));
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
    this.log.error(`${doing}: ${err instanceof Error && !userError ? (err.stack ?? message) : message}`);
    this.lastError = message;
    void vscode.window
      .showErrorMessage(userError ? message : `Vector Tune: ${doing} failed: ${message}`, 'Show Log')
      .then((choice) => {
        if (choice === 'Show Log') this.log.show();
      });
  }

  dispose(): void {
    void this.worker?.dispose();
    this.statusBar.dispose();
    this.log.dispose();
  }
}
