import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportSummary } from '../core/export/export-to-file';
import type { IndexReport } from '../core/ingest/index-folder';
import type { PredictReport } from '../core/predict/predict-folder';
import { problemFirst, VectorTuneError } from '../core/errors';
import type { Method, Params, Result } from '../protocol/rpc';
import {
  type EngineConfig,
  locationChanged,
  type EvaluationSummary,
  type HeadSummary,
  type WorkerProtocol,
} from '../protocol/worker-protocol';
import {
  Config,
  engineConfig,
  modelSettingsChanged,
  modelSettingsProblem,
  PINECONE_KEY_SECRET,
  pineconeConfig,
  Settings,
  type SettingsChange,
  workspaceRoot,
} from './config';
import { type Remedy, remediesFor, showErrorWithRemedies, UserFacingError } from './remedies';
import { createLog } from './log';
import { StatusBar } from './status-bar';
import { EngineError, WorkerClient } from './worker-client';

const OPEN_HEAD_KEY = 'vectorTune.openHeadDir';

export type StoreInfo = Result<WorkerProtocol, 'storeInfo'>;

export { UserFacingError } from './remedies';

/**
 * The extension's shared state: log, settings, status bar, the worker that runs the engine, and the open
 * head. Commands and the panel get everything through it, so none of them holds state of its own.
 */
export class Ctx implements vscode.Disposable {
  readonly log = createLog();
  readonly config = new Config();
  readonly statusBar = new StatusBar();
  private worker: WorkerClient | undefined;
  /** What the worker was last configured with (in memory only: it may hold the Pinecone key). */
  private configured: EngineConfig | undefined;
  head: HeadSummary | undefined;
  storeCount: number | undefined;
  /** What the store held when last asked (null: there is none yet); undefined until asked. */
  storeInfo: StoreInfo | undefined;
  /** Why the store could not be read when the views last asked (settings to fix), or undefined. */
  storeProblem: string | undefined;
  /** The last indexing report, evaluation, prediction, export and error shown, for the status and for tests. */
  lastIndexReport: IndexReport | undefined;
  lastProgressMessage: string | undefined;
  lastError: string | undefined;
  lastEvaluation: EvaluationSummary | undefined;
  lastPrediction: PredictReport | undefined;
  lastExport: ExportSummary | undefined;
  private readonly headListeners = new Set<() => void>();
  private readonly storeChanged = new vscode.EventEmitter<void>();
  /** The store's size or location may have changed (indexed, another store chosen): views refresh. */
  readonly onStoreChanged = this.storeChanged.event;
  private readonly subscriptions: vscode.Disposable[];
  private shutdown: Promise<void> | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.subscriptions = [
      this.config.onDidChange((change) => void this.settingsChanged(change)),
      extension.secrets.onDidChange((e) => {
        if (e.key === PINECONE_KEY_SECRET) void this.settingsChanged({ previous: this.settings, reachesWorker: true });
      }),
    ];
  }

  get settings(): Settings {
    return this.config.settings;
  }

  /**
   * A setting changed: the status bar shows the store the settings now name, and a running worker is sent its new
   * configuration at once (queued behind the request it is running, so an indexing in progress finishes with
   * the settings it started with). The model reloads at its next use when the model settings changed.
   */
  private async settingsChanged(change: SettingsChange): Promise<void> {
    if (change.reachesWorker && this.worker) {
      try {
        await this.engine();
        if (modelSettingsChanged(change.previous, this.settings))
          vscode.window.setStatusBarMessage(
            'Vector Tune: model settings changed; the model reloads when next used.',
            8000,
          );
        await this.refreshStore();
      } catch (err) {
        // The settings are half edited or wrong: the next command says what to fix, with its remedy.
        this.log.warn(`The new settings are not applied yet: ${err instanceof Error ? err.message : String(err)}`);
        this.storeCount = undefined;
        this.storeInfo = undefined;
        this.storeProblem = err instanceof Error ? err.message : String(err);
        this.statusBar.show(this.head, this.storeCount, this.remoteStore());
        this.storeChanged.fire();
      }
    } else {
      this.statusBar.show(this.head, this.storeCount, this.remoteStore());
    }
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
    if (problem) throw new UserFacingError(problem, ['Open Settings']);
    const config = engineConfig(settings, this.root(), path.join(this.extension.globalStorageUri.fsPath, 'models'));
    if (settings.store !== 'pinecone') return config;
    const apiKey = await this.extension.secrets.get(PINECONE_KEY_SECRET);
    const pinecone = pineconeConfig(settings.pinecone, apiKey);
    if ('missing' in pinecone)
      throw new UserFacingError(pinecone.missing, [apiKey ? 'Open Settings' : 'Set Pinecone API Key']);
    return { ...config, pinecone };
  }

  /**
   * Stops the worker (what it runs stops at its next safe point: an indexing after its batch) and starts a new
   * one, configured and with the open head reopened. For a worker that hangs or holds memory it should not.
   */
  async restartWorker(): Promise<void> {
    const old = this.worker;
    this.worker = undefined;
    this.configured = undefined;
    await old?.dispose();
    const headDir = this.head ? path.dirname(this.head.weightsFile) : undefined;
    const worker = await this.engine();
    if (headDir) await this.reopenHead(worker, headDir);
    await this.refreshStore();
    this.log.info('Restarted the Vector Tune worker.');
  }

  /**
   * Closes the open head: the worker holds its folder's lock while it is open, and has no request to let go of
   * it short of stopping, so a new worker is started without it (to delete the head's folder, say).
   */
  async closeHead(): Promise<void> {
    this.setHead(undefined);
    await this.restartWorker();
  }

  /** How many workers this window started (Restart Worker starts one more; for tests). */
  workerStarts = 0;

  /** Whether a worker is running (the views ask the store only of a running one, or when they are opened). */
  get workerRunning(): boolean {
    return this.worker !== undefined;
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
    if (this.shutdown) throw new UserFacingError('Vector Tune is shutting down.');
    if (!this.worker) {
      const workerPath = path.join(this.extension.extensionPath, 'dist', 'worker.js');
      this.worker = new WorkerClient(workerPath, (level, message) => this.log[level](message));
      this.workerStarts++;
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

  /** The store's size and model, from the worker (started if need be); the status bar and the views follow. */
  async refreshStore(): Promise<StoreInfo> {
    const info = await this.request('storeInfo', {});
    // Only when something changed: the panel refreshes on it, and its refresh asks the store again.
    const changed =
      this.storeInfo === undefined ||
      this.storeProblem !== undefined ||
      info?.count !== this.storeInfo?.count ||
      info?.modelId !== this.storeInfo?.modelId;
    this.storeInfo = info;
    this.storeProblem = undefined;
    this.storeCount = info?.count;
    this.statusBar.show(this.head, this.storeCount, this.remoteStore());
    if (changed) this.storeChanged.fire();
    return info;
  }

  /**
   * refreshStore for the views, which ask on their own: a failure (settings to fix) is logged and kept in
   * storeProblem for the views to show, not raised as an error notification nobody asked for.
   */
  async askStore(): Promise<void> {
    try {
      await this.refreshStore();
    } catch (err) {
      this.storeProblem = err instanceof Error ? err.message : String(err);
      this.log.warn(`The store could not be read: ${this.storeProblem}`);
      this.storeChanged.fire();
    }
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

  /**
   * Shows an error: user errors plainly, with the buttons that fix them (a model that cannot be loaded offers
   * Select Model...), anything else logged with its stack and offered the log.
   */
  async showError(err: unknown, doing: string): Promise<void> {
    if (err instanceof Error && err.name === 'AbortError') return;
    // A VectorTuneError raised in the extension itself (reading a head's files) is the user's to fix, as in the worker.
    const userError =
      err instanceof UserFacingError || err instanceof VectorTuneError || (err instanceof EngineError && err.userError);
    const message =
      err instanceof VectorTuneError ? problemFirst(err) : err instanceof Error ? err.message : String(err);
    this.log.error(`${doing}: ${err instanceof Error && !userError ? (err.stack ?? message) : message}`);
    this.lastError = message;
    const remedies = remediesFor(err);
    this.lastErrorRemedies = remedies;
    void showErrorWithRemedies(userError ? message : `Vector Tune: ${doing} failed: ${message}`, remedies, this.log);
  }

  /** The buttons the last error offered, for tests. */
  lastErrorRemedies: Remedy[] = [];

  /**
   * Stops the worker, letting what it runs reach a safe point (an indexing commits its batch; onnxruntime is
   * never torn down mid-call). `deactivate` returns this, so VS Code waits for it.
   */
  stop(): Promise<void> {
    this.shutdown ??= (async () => {
      const worker = this.worker;
      this.worker = undefined;
      await worker?.dispose();
    })();
    return this.shutdown;
  }

  dispose(): void {
    void this.stop();
    for (const s of this.subscriptions) s.dispose();
    this.storeChanged.dispose();
    this.config.dispose();
    this.statusBar.dispose();
    this.log.dispose();
  }
}
