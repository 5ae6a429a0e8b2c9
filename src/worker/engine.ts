import * as path from 'node:path';
import { VectorTuneError } from '../core/errors';
import { describeLocation, openOrCreateStore, openStore, storeSummary } from '../core/store/store-location';
import type { VectorStore } from '../core/store/types';
import type { StartSpec } from '../core/tune/start';
import { TuningSession } from '../core/tune/session';
import { isStrategy } from '../core/tune/strategy';
import {
  type EngineConfig,
  locationChanged,
  type HeadStart,
  type HeadSummary,
  type WorkerProtocol,
} from '../protocol/worker-protocol';
import { checkConfig, storeLocation } from './engine-config';
import { runIndex } from './index-request';
import { runEvaluate } from './evaluate-request';
import { runPredict } from './predict-request';
import { runExport } from './export-request';
import { ModelHolder } from './model-holder';
import type { Params, Result } from '../protocol/rpc';
import type { Handlers, RequestContext } from './request-context';
import { finishRound, roundNotFinished, sameVerdicts, type UnfinishedRound } from './unfinished-round';
import { noOpenHead, notConfigured } from './worker-errors';
import type { WorkerLog } from './worker-log';

/** A worker request's parameters and result, as the protocol defines them. */
type WorkerParams<M extends keyof WorkerProtocol> = Params<WorkerProtocol, M>;
type WorkerResult<M extends keyof WorkerProtocol> = Result<WorkerProtocol, M>;

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
  /** The store the open head works on (the embedded store or a Pinecone index); opened on first use. */
  private store?: VectorStore;
  private session?: TuningSession;
  /** A submit of the open head whose scores are saved but whose round did not complete (see unfinished-round.ts). */
  private unfinished?: UnfinishedRound;

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
      predict: (p, context) => runPredict(p, this.requireConfig(), this.models, context, this.log),
      exportHeads: (p, context) => runExport(p, this.requireConfig(), this.models, context, this.log),
      dispose: () => this.dispose(),
    };
  }

  async configure(next: WorkerParams<'configure'>): Promise<void> {
    checkConfig(next);
    const previous = this.config;
    this.config = next;
    if (locationChanged(previous, next)) await this.closeStore();
    await this.models.reconfigure(next);
  }

  async index(params: WorkerParams<'index'>, context: RequestContext): Promise<WorkerResult<'index'>> {
    const config = this.requireConfig();
    const location = storeLocation(config);
    const report = await runIndex(
      params,
      config,
      (identity) => openOrCreateStore(location, identity),
      this.models,
      context,
      this.log,
    );
    // A cancelled run has committed what it embedded, too. (A run that fails half-way leaves the open head on
    // the rows it had; the next successful run brings it up to date.) A remote store's open connection sees
    // the new records as they are: only the embedded store, read into memory, is opened again.
    if (report.added + report.updated + report.removed > 0 && location.kind === 'embedded') await this.reopenStore();
    return report;
  }

  async loadModel(): Promise<WorkerResult<'loadModel'>> {
    const encoder = await this.models.encoder(this.requireConfig());
    return { modelId: encoder.modelId, dimension: encoder.dimension };
  }

  /** Read from the manifest (or the index), not the open store, so it is current even while an index run is committing. */
  async storeInfo(): Promise<WorkerResult<'storeInfo'>> {
    return storeSummary(storeLocation(this.requireConfig()));
  }

  async startHead(params: WorkerParams<'startHead'>): Promise<WorkerResult<'startHead'>> {
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
    this.unfinished = undefined;
    this.log('info', `Started head "${session.name}" from ${start.kind} in ${session.paths.dir}.`);
    return this.summary(session);
  }

  async openHead(params: WorkerParams<'openHead'>): Promise<WorkerResult<'openHead'>> {
    const config = this.requireConfig();
    const store = await this.openStore();
    const { session, repairs } = await TuningSession.open(path.resolve(config.workspaceRoot, params.headDir), store);
    this.session = session;
    this.unfinished = undefined; // its labels are on disk; opening the head repaired the rest
    for (const note of repairs) this.log('warn', `Repaired head "${session.name}": ${note}`);
    return { head: await this.summary(session), repairs };
  }

  async nextBatch(params: WorkerParams<'nextBatch'>): Promise<WorkerResult<'nextBatch'>> {
    let session = this.requireSession(params.headDir);
    if (!Number.isInteger(params.k) || params.k < 1 || params.k > MAX_BATCH) {
      throw new VectorTuneError(`the batch size must be a whole number from 1 to ${MAX_BATCH}, got ${params.k}.`);
    }
    // The panel is untrusted: check what arrived, whatever its declared type.
    const strategy: unknown = params.strategy;
    if (typeof strategy !== 'string' || !isStrategy(strategy))
      throw new VectorTuneError(`unknown strategy ${JSON.stringify(strategy)}; use top, boundary or mixed.`);
    if (this.unfinished) session = (await this.finishUnfinished()).session; // else its records would be shown again
    const candidates = await session.nextBatch(params.k, params.strategy);
    return { head: await this.summary(session), candidates };
  }

  /**
   * The scores go to labels.jsonl first; if a later step fails (Pinecone unreachable while marking the batch
   * seen), the error says the scores are saved, and submitting the same batch again finishes that round.
   */
  async submit(params: WorkerParams<'submit'>): Promise<WorkerResult<'submit'>> {
    let session = this.requireSession(params.headDir);
    if (this.unfinished) {
      const finished = await this.finishUnfinished();
      if (sameVerdicts(finished.verdicts, params.verdicts))
        return { head: await this.summary(finished.session), result: finished.result };
      session = finished.session;
    }
    const labelsBefore = session.labelCount;
    const unfinished: UnfinishedRound = {
      headDir: session.paths.dir,
      verdicts: params.verdicts,
      round: session.nextRound,
      wBefore: Float32Array.from(session.head.w),
    };
    try {
      const result = await session.submit(params.verdicts);
      return { head: await this.summary(session), result };
    } catch (err) {
      if (session.labelCount === labelsBefore) throw err; // nothing was recorded: submitting again is a fresh round
      this.unfinished = unfinished;
      throw roundNotFinished(err, unfinished, session.paths.labels);
    }
  }

  /** Finishes the open head's unfinished round; the session is replaced by the reopened one. */
  private async finishUnfinished() {
    const unfinished = this.unfinished!;
    const finished = await finishRound(unfinished, await this.openStore());
    this.session = finished.session;
    this.unfinished = undefined;
    for (const note of finished.repairs)
      this.log('warn', `Finished round ${unfinished.round} of head "${finished.session.name}": ${note}`);
    this.log('info', `Finished round ${unfinished.round} of head "${finished.session.name}" after an earlier failure.`);
    return { ...finished, verdicts: unfinished.verdicts };
  }

  async evaluate(params: WorkerParams<'evaluate'>, context: RequestContext): Promise<WorkerResult<'evaluate'>> {
    const session = this.requireSession();
    const store = await this.openStore();
    return runEvaluate(params, session, store, this.requireConfig(), this.models, context);
  }

  async resetSeen(): Promise<WorkerResult<'resetSeen'>> {
    let session = this.requireSession();
    if (this.unfinished) session = (await this.finishUnfinished()).session;
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

  private async openStore(): Promise<VectorStore> {
    this.store ??= await openStore(storeLocation(this.requireConfig()));
    return this.store;
  }

  private async closeStore(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    this.session = undefined;
    this.unfinished = undefined;
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
      this.log(
        'warn',
        `Closed the head in ${headDir}: it could not be reopened on the updated store (${err instanceof Error ? err.message : String(err)}).`,
      );
    }
  }

  private async startSpec(start: HeadStart, store: VectorStore, config: EngineConfig): Promise<StartSpec> {
    if (start.kind === 'examples') return { kind: 'examples', ids: start.ids };
    if (start.kind === 'weights') return { kind: 'weights', file: path.resolve(config.workspaceRoot, start.file) };
    const prompt = start.prompt.trim();
    if (!prompt)
      throw new VectorTuneError(
        'the prompt is empty.',
        undefined,
        'Describe what the head should find, e.g. "a red hat".',
      );
    const encoder = await this.models.encoder(config);
    const location = storeLocation(config);
    if (encoder.modelId !== store.info.modelId) {
      throw new VectorTuneError(
        `${describeLocation(location)} holds embeddings of "${store.info.modelId}", but the prompt would be embedded by "${encoder.modelId}".`,
        location.kind === 'embedded' ? location.dir : undefined,
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
