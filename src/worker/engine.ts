import * as path from 'node:path';
import { VectorTuneError } from '../core/errors';
import { EmbeddedStore } from '../core/store/embedded-store';
import { readManifest } from '../core/store/manifest';
import type { StartSpec } from '../core/tune/start';
import { TuningSession } from '../core/tune/session';
import { isStrategy } from '../core/tune/strategy';
import type { EngineConfig, HeadStart, HeadSummary, WorkerProtocol } from '../protocol/worker-protocol';
import { checkConfig, foldersChanged } from './engine-config';
import { runIndex } from './index-request';
import { runEvaluate } from './evaluate-request';
import { ModelHolder } from './model-holder';
import type { Handlers, RequestContext } from './request-context';
import { noOpenHead, notConfigured } from './worker-errors';
import type { WorkerLog } from './worker-log';

type P<M extends keyof WorkerProtocol> = WorkerProtocol[M][0];
type R<M extends keyof WorkerProtocol> = WorkerProtocol[M][1];

/** Largest batch the panel can ask for: a scan is cheap, but a batch is shown as images in one panel. */
const MAX_BATCH = 500;

/**
 * The engine as the worker holds it: the configuration, the CLIP encoder (shared by indexing and prompts),
 * the open store and the open head. The request server runs every handler that touches the store or the head
 * one at a time, so none of them needs locking here.
 */
export class Engine {
  private config?: EngineConfig;
  private readonly models: ModelHolder;
  /** The store the open head works on; opened on first use. */
  private store?: EmbeddedStore;
  private session?: TuningSession;

  constructor(private readonly log: WorkerLog) {
    this.models = new ModelHolder(log);
  }

  /** The protocol's handlers, bound to this engine. */
  handlers(): Handlers {
    return {
      configure: (p) => this.configure(p),
      index: (p, context) => this.index(p, context),
      loadModel: () => this.loadModel(),
      storeInfo: () => this.storeInfo(),
      startHead: (p) => this.startHead(p),
      openHead: (p) => this.openHead(p),
      nextBatch: (p) => this.nextBatch(p),
      submit: (p) => this.submit(p),
      resetSeen: () => this.resetSeen(),
      evaluate: (p, context) => this.evaluate(p, context),
      dispose: () => this.dispose(),
    };
  }

  async configure(next: P<'configure'>): Promise<void> {
    checkConfig(next);
    const previous = this.config;
    this.config = next;
    if (foldersChanged(previous, next)) await this.closeStore();
    await this.models.reconfigure(next);
  }

  async index(params: P<'index'>, context: RequestContext): Promise<R<'index'>> {
    const report = await runIndex(params, this.requireConfig(), this.models, context, this.log);
    // A cancelled run has committed what it embedded, too. (A run that fails half-way leaves the open head on
    // the rows it had; the next successful run brings it up to date.)
    if (report.added + report.updated + report.removed > 0) await this.reopenStore();
    return report;
  }

  async loadModel(): Promise<R<'loadModel'>> {
    const encoder = await this.models.encoder(this.requireConfig());
    return { modelId: encoder.modelId, dimension: encoder.dimension };
  }

  /** Read from the manifest, not the open store, so it is current even while an index run is committing. */
  async storeInfo(): Promise<R<'storeInfo'>> {
    const { storeDir } = this.requireConfig();
    if (!(await EmbeddedStore.exists(storeDir))) return null;
    const manifest = await readManifest(EmbeddedStore.manifestPath(storeDir));
    return { count: manifest.count, modelId: manifest.modelId, dimension: manifest.dimension };
  }

  async startHead(params: P<'startHead'>): Promise<R<'startHead'>> {
    const config = this.requireConfig();
    const store = await this.openStore();
    const start = await this.startSpec(params.start, store, config);
    const session = await TuningSession.create({
      headsDir: config.headsDir,
      name: params.name,
      store,
      start,
      settings: config.training,
      overwrite: params.overwrite,
    });
    this.session = session;
    this.log('info', `Started head "${session.name}" from ${start.kind} in ${session.paths.dir}.`);
    return this.summary(session);
  }

  async openHead(params: P<'openHead'>): Promise<R<'openHead'>> {
    const config = this.requireConfig();
    const store = await this.openStore();
    const { session, repairs } = await TuningSession.open(path.resolve(config.workspaceRoot, params.headDir), store);
    this.session = session;
    for (const note of repairs) this.log('warn', `Repaired head "${session.name}": ${note}`);
    return { head: await this.summary(session), repairs };
  }

  async nextBatch(params: P<'nextBatch'>): Promise<R<'nextBatch'>> {
    const session = this.requireSession(params.headDir);
    if (!Number.isInteger(params.k) || params.k < 1 || params.k > MAX_BATCH) {
      throw new VectorTuneError(`the batch size must be a whole number from 1 to ${MAX_BATCH}, got ${params.k}.`);
    }
    if (!isStrategy(params.strategy)) throw new VectorTuneError(`unknown strategy "${params.strategy}"; use top, boundary or mixed.`);
    const candidates = await session.nextBatch(params.k, params.strategy);
    return { head: await this.summary(session), candidates };
  }

  async submit(params: P<'submit'>): Promise<R<'submit'>> {
    const session = this.requireSession(params.headDir);
    const result = await session.submit(params.verdicts);
    return { head: await this.summary(session), result };
  }

  async evaluate(params: P<'evaluate'>, context: RequestContext): Promise<R<'evaluate'>> {
    const session = this.requireSession();
    return runEvaluate(params.source, session, await this.openStore(), this.requireConfig(), this.models, context);
  }

  async resetSeen(): Promise<R<'resetSeen'>> {
    const session = this.requireSession();
    await session.resetSeen();
    return this.summary(session);
  }

  async dispose(): Promise<void> {
    await this.closeStore();
    await this.models.release();
  }

  private requireConfig(): EngineConfig {
    if (!this.config) throw notConfigured();
    return this.config;
  }

  /**
   * The open head; with `headDir`, only if it is that head. Requests queue behind each other, so a batch
   * scored for head A can arrive after head B was opened: it must not be trained into B.
   */
  private requireSession(headDir?: string): TuningSession {
    if (!this.session) throw noOpenHead();
    if (headDir !== undefined && path.resolve(headDir) !== path.resolve(this.session.paths.dir)) {
      throw new VectorTuneError(
        `these scores are for the head in ${headDir}, but the open head is now "${this.session.name}"; nothing was written.`,
        undefined,
        'Run Vector Tune: Next Batch to score the open head.',
      );
    }
    return this.session;
  }

  private async openStore(): Promise<EmbeddedStore> {
    this.store ??= await EmbeddedStore.open(this.requireConfig().storeDir);
    return this.store;
  }

  private async closeStore(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    this.session = undefined;
    await store?.close();
  }

  /**
   * After indexing, the store on disk has rows the open store object does not: open it again, and reopen the
   * head on it (a session keeps the store it was opened with). If the head cannot be reopened (its folder was
   * deleted meanwhile), it is closed and the reason logged; the index report is still returned.
   */
  private async reopenStore(): Promise<void> {
    if (!this.store) return; // nothing open: the next use opens the fresh store
    const headDir = this.session?.paths.dir;
    await this.closeStore();
    if (!headDir) return;
    try {
      const { session, repairs } = await TuningSession.open(headDir, await this.openStore());
      this.session = session;
      for (const note of repairs) this.log('warn', `Repaired head "${session.name}": ${note}`);
    } catch (err) {
      this.log('warn', `Closed the head in ${headDir}: it could not be reopened on the updated store (${err instanceof Error ? err.message : String(err)}).`);
    }
  }

  private async startSpec(start: HeadStart, store: EmbeddedStore, config: EngineConfig): Promise<StartSpec> {
    if (start.kind === 'examples') return { kind: 'examples', ids: start.ids };
    if (start.kind === 'weights') return { kind: 'weights', file: path.resolve(config.workspaceRoot, start.file) };
    const prompt = start.prompt.trim();
    if (!prompt) throw new VectorTuneError('the prompt is empty.', undefined, 'Describe what the head should find, e.g. "a red hat".');
    const encoder = await this.models.encoder(config);
    if (encoder.modelId !== store.info.modelId) {
      throw new VectorTuneError(
        `the store holds embeddings of "${store.info.modelId}", but the prompt would be embedded by "${encoder.modelId}".`,
        store.dir,
        'Set the Vector Tune model to the one the store was indexed with, or index again with this model into another store.',
      );
    }
    const [vector] = await encoder.embedTexts([prompt]);
    return { kind: 'prompt', prompt, vector };
  }

  private async summary(session: TuningSession): Promise<HeadSummary> {
    return {
      name: session.name,
      weightsFile: session.paths.weights,
      labelsFile: session.paths.labels,
      labelCount: session.labelCount,
      nextRound: session.nextRound,
      modelId: session.currentWeights.model.id,
      storeCount: await session.store.count(),
      seenCount: await session.store.seenCount(session.name),
    };
  }
}
