import * as path from 'node:path';
import { VectorTuneError } from '../core/errors';
import { lendStore, openOrCreateStore, openStore, storeSummary } from '../core/store/store-location';
import type { VectorStore } from '../core/store/types';
import { TuningSession } from '../core/tune/session';
import { resolveAnnotator } from '../core/tune/annotator';
import { annotatorAgreement } from '../core/tune/annotator-agreement';
import { ProgressTracker } from '../core/tune/progress';
import { hideAuditFromBatches } from '../core/audit/hide-from-batches';
import { AuditFiguresCache, auditHandlers, withoutAuditScores } from './audit-requests';
import { headSummary } from './head-summary';
import { HeadLockHolder } from './head-lock-holder';
import { checkBatchSize } from './batch-size';
import { HeldOutRounds } from './held-out-rounds';
import { changeLabelsOf, labelledOf, takeOutsideChange } from './label-requests';
import { rebuildHead } from '../core/tune/rebuild';
import { startSpecFor } from './start-spec';
import { headPaths } from '../core/head/head-folder';
import { ALL_STRATEGIES, isStrategy } from '../core/tune/strategy';
import { type EngineConfig, locationChanged, type HeadSummary, type WorkerProtocol } from '../protocol/worker-protocol';
import { checkConfig, storeLocation } from './engine-config';
import { runIndex } from './index-request';
import { runEvaluate } from './evaluate-request';
import type { ModelCallGate } from './model-call-gate';
import { runPredict } from './predict-request';
import { runExport } from './export-request';
import { runSearch } from './search-request';
import { ModelHolder } from './model-holder';
import type { Params, Result } from '../protocol/rpc';
import type { Handlers, RequestContext } from './request-context';
import { finishRound, roundNotFinished, sameVerdicts, type UnfinishedRound } from './unfinished-round';
import { noOpenHead, notConfigured } from './worker-errors';
import type { WorkerLog } from './worker-log';

/** A worker request's parameters and result, as the protocol defines them. */
type WorkerParams<M extends keyof WorkerProtocol> = Params<WorkerProtocol, M>;
type WorkerResult<M extends keyof WorkerProtocol> = Result<WorkerProtocol, M>;

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
  /** The writer lock of the open head's folder, held while it is open. */
  private readonly headLock = new HeadLockHolder();
  /** Who labels, as configured (`by` on label lines). */
  private annotator?: string;
  /** The open head's figures per round since it was opened (hits, top-100 churn). */
  private progress = new ProgressTracker();
  /** The open head's audit estimates, recomputed when its labels or its audit sample change. */
  private readonly auditFigures = new AuditFiguresCache();
  /** The open head's held-out AP every few rounds (held-out-rounds.ts). */
  private readonly heldOut: HeldOutRounds;

  constructor(
    private readonly log: WorkerLog,
    gate?: ModelCallGate,
  ) {
    this.models = new ModelHolder(log, gate);
    this.heldOut = new HeldOutRounds(this.models, log);
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
      searchBatch: (p) => this.searchBatch(p),
      submit: (p) => this.submit(p),
      resetSeen: () => this.resetSeen(),
      ...auditHandlers(
        (headDir) => this.requireSession(headDir),
        (session) => this.summary(session),
      ),
      syncLabels: (p) => this.syncLabels(p),
      labelled: (p) => this.labelled(p),
      changeLabels: (p) => this.changeLabels(p),
      rebuildHead: (p) => this.rebuildHead(p),
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
    // A changed annotator setting applies to the open head's next lines.
    this.annotator = next.annotator ? resolveAnnotator(next.annotator, next.workspaceRoot) : undefined;
    if (this.session) this.session.annotator = this.annotator;
    if (locationChanged(previous, next)) {
      await this.closeStore();
      this.headLock.release();
    }
    await this.models.reconfigure(next);
  }

  /**
   * Indexing writes through the store this engine holds (opened or created for the model if none is open yet), so
   * the open head sees the new records as they are committed, and the process never holds the store twice.
   */
  async index(params: WorkerParams<'index'>, context: RequestContext): Promise<WorkerResult<'index'>> {
    const config = this.requireConfig();
    const location = storeLocation(config);
    return runIndex(
      params,
      config,
      async (identity) => {
        this.store ??= await openOrCreateStore(location, identity);
        return lendStore(this.store, identity, location);
      },
      this.models,
      context,
      this.log,
    );
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
    const start = await startSpecFor(params.start, store, config, this.models);
    const session = await this.headLock.holding(headPaths(config.headsDir, params.name).dir, () =>
      TuningSession.create({
        headsDir: config.headsDir,
        name: params.name,
        store,
        start,
        settings: config.training,
        overwrite: params.overwrite,
        annotator: this.annotator,
      }),
    );
    this.session = session;
    this.unfinished = undefined;
    this.progress = new ProgressTracker();
    this.log('info', `Started head "${session.name}" from ${start.kind} in ${session.paths.dir}.`);
    return this.summary(session);
  }

  async openHead(params: WorkerParams<'openHead'>): Promise<WorkerResult<'openHead'>> {
    const config = this.requireConfig();
    const store = await this.openStore();
    const headDir = path.resolve(config.workspaceRoot, params.headDir);
    const { session, repairs } = await this.headLock.holding(headDir, () => TuningSession.open(headDir, store));
    session.annotator = this.annotator;
    await hideAuditFromBatches(session); // a clone or a new store has no marks for the audit sample yet
    // The same head opened again (a window reload) keeps its rounds' figures; another head starts afresh.
    if (this.session?.paths.dir !== session.paths.dir) this.progress = new ProgressTracker();
    this.session = session;
    this.heldOut.reset();
    this.unfinished = undefined; // its labels are on disk; opening the head repaired the rest
    for (const note of repairs) this.log('warn', `Repaired head "${session.name}": ${note}`);
    return { head: await this.summary(session), repairs };
  }

  async nextBatch(params: WorkerParams<'nextBatch'>): Promise<WorkerResult<'nextBatch'>> {
    let session = this.requireSession(params.headDir);
    checkBatchSize(params.k);
    // The panel is untrusted: check what arrived, whatever its declared type.
    const strategy: unknown = params.strategy;
    if (typeof strategy !== 'string' || !isStrategy(strategy))
      throw new VectorTuneError(`unknown strategy ${JSON.stringify(strategy)}; use ${ALL_STRATEGIES.join(', ')}.`);
    if (this.unfinished) session = (await this.finishUnfinished()).session; // else its records would be shown again
    const notes = await takeOutsideChange(session, this.log); // the batch comes from the head labels.jsonl makes
    const similarity: unknown = params.diverseSimilarity;
    if (similarity !== undefined && !(typeof similarity === 'number' && similarity >= -1 && similarity <= 1))
      throw new VectorTuneError(
        `the near-duplicate similarity (vectorTune.diverseSimilarity) must be a number from -1 to 1, got ${JSON.stringify(similarity)}.`,
      );
    const candidates = await session.nextBatch(params.k, params.strategy, { maxSimilarity: similarity });
    return { head: await this.summary(session), candidates, ...(notes.length > 0 ? { notes } : {}) };
  }

  /** A batch from a text query or "more like this" (search-request.ts), shown and scored like the head's own. */
  async searchBatch(params: WorkerParams<'searchBatch'>): Promise<WorkerResult<'searchBatch'>> {
    let session = this.requireSession(params.headDir);
    checkBatchSize(params.k);
    if (this.unfinished) session = (await this.finishUnfinished()).session; // else its records would be shown again
    const candidates = await runSearch(params.query, params.k, session, this.requireConfig(), this.models);
    return { head: await this.summary(session), candidates };
  }

  /**
   * The scores go to labels.jsonl first; if a later step fails (Pinecone unreachable while marking the batch
   * seen), the error says the scores are saved, and submitting the same batch again finishes that round.
   */
  async submit(params: WorkerParams<'submit'>): Promise<WorkerResult<'submit'>> {
    let session = this.requireSession(params.headDir);
    // A batch shown before the audit sample was drawn may hold its records: they are seen, never trained on.
    const { verdicts, note: auditNote } = await withoutAuditScores(session, params.verdicts);
    if (this.unfinished) {
      const finished = await this.finishUnfinished();
      if (sameVerdicts(finished.verdicts, verdicts))
        return { head: await this.summary(finished.session), result: finished.result };
      session = finished.session;
    }
    // An outside change is taken before the round, so the check below sees only what this round recorded.
    const notes = await takeOutsideChange(session, this.log);
    const labelsBefore = session.labelLines;
    if (this.progress.rounds.length === 0) await this.progress.start(session); // the top 100 before the first round
    const unfinished: UnfinishedRound = {
      headDir: session.paths.dir,
      verdicts,
      round: session.nextRound,
      wBefore: Float32Array.from(session.head.w),
    };
    try {
      const result = await session.submit(verdicts);
      const heldOut: string[] = [];
      if (session.labelLines > labelsBefore) {
        const round = await this.progress.after(session, result.round, verdicts);
        const measured = await this.heldOut.after(session, result.round, this.requireConfig());
        round.heldOut = measured.figures;
        if (measured.note) heldOut.push(measured.note);
      }
      const allNotes = [...notes, ...(auditNote ? [auditNote] : []), ...(result.notes ?? []), ...heldOut];
      return {
        head: await this.summary(session),
        result: { ...result, ...(allNotes.length ? { notes: allNotes } : {}) },
      };
    } catch (err) {
      if (session.labelLines === labelsBefore) throw err; // nothing was recorded: submitting again is a fresh round
      this.unfinished = unfinished;
      throw roundNotFinished(err, unfinished, session.paths.labels);
    }
  }

  /** The open head, its unfinished round finished first (a change to its labels must come after that round). */
  private async readySession(headDir?: string): Promise<TuningSession> {
    const session = this.requireSession(headDir);
    return this.unfinished ? (await this.finishUnfinished()).session : session;
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
    const session = await this.readySession();
    await session.resetSeen();
    await hideAuditFromBatches(session); // the audit sample is never trained on, so never offered
    return this.summary(session);
  }

  async syncLabels(params: WorkerParams<'syncLabels'>): Promise<WorkerResult<'syncLabels'>> {
    const session = await this.readySession(params.headDir);
    const notes = await takeOutsideChange(session, this.log);
    return { head: await this.summary(session), notes };
  }

  async labelled(params: WorkerParams<'labelled'>): Promise<WorkerResult<'labelled'>> {
    const session = this.requireSession(params.headDir);
    const records = await labelledOf(session, params.order, this.log);
    return { head: await this.summary(session), records, agreement: annotatorAgreement(session.allLabels) };
  }

  async changeLabels(params: WorkerParams<'changeLabels'>): Promise<WorkerResult<'changeLabels'>> {
    const session = await this.readySession(params.headDir);
    const { notes, ms } = await changeLabelsOf(session, params.changes, this.log);
    return { head: await this.summary(session), notes, ms };
  }

  async rebuildHead(params: WorkerParams<'rebuildHead'>): Promise<WorkerResult<'rebuildHead'>> {
    const store = await this.openStore();
    const headDir = path.resolve(this.requireConfig().workspaceRoot, params.headDir);
    const { session, notes } = await this.headLock.holding(headDir, () => rebuildHead(headDir, store));
    session.annotator = this.annotator;
    this.session = session;
    this.unfinished = undefined;
    this.log('info', `Rebuilt head "${session.name}" from ${session.labelCount} labels.`);
    for (const note of notes) this.log('info', `Rebuilt head "${session.name}": ${note}`);
    return { head: await this.summary(session), notes };
  }

  async dispose(): Promise<void> {
    await this.closeStore();
    this.headLock.release();
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

  private async summary(session: TuningSession): Promise<HeadSummary> {
    const audit = await this.auditFigures.of(session);
    return { ...(await headSummary(session, this.progress.rounds)), ...(audit ? { audit } : {}) };
  }
}
