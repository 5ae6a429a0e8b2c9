import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { headPaths, headPathsIn, HeadPaths } from '../head/head-folder';
import { DEFAULT_TRAINING, LinearHead, scoreToTarget, sigmoid, TrainingSettings } from '../head/linear-head';
import { checkWeightsMatchStore, HeadWeights, readWeights, writeWeights } from '../head/weights-file';
import type { RecordMeta, VectorStore } from '../store/types';
import { fileExists, removeDeadWritersTemporaries } from '../fs/durable';
import { ensureHeadGitattributes } from '../head/head-gitattributes';
import { sha256 } from '../util/hash';
import { appendLabels, Label, LABELS_FILE_NAME, labelsFileSize, LabelsRead, readLabels } from './labels-file';
import { changeLine, currentLabels } from './label-history';
import { buildWeights } from './new-head-weights';
import { examplesUpTo, fetchLabelVectors, replay, trainRound } from './replay';
import { resolveStart } from './start';
import type { Strategy } from './strategy';
import { selectCandidates } from './strategy';
import { SeenMarkers } from './seen-markers';
import type { BatchCandidate, CreateOptions, LabelChange, RoundResult, Verdict } from './session-types';

export type { BatchCandidate, CreateOptions, LabelChange, RoundResult, Verdict } from './session-types';

const EMPTY_FILE = { size: 0, sha256: sha256(Buffer.alloc(0)) };

/**
 * A head being tuned: query -> show -> score -> train -> mark seen. Each submit appends the scores to the
 * labels file (fsync) before anything else, writes the weights atomically, then marks the records seen, so a
 * crash between any two steps is repaired on the next open (retrain from labels, re-mark seen).
 */
export class TuningSession {
  private readonly vectorCache = new Map<string, Float32Array>();

  private constructor(
    readonly paths: HeadPaths,
    readonly store: VectorStore,
    private weights: HeadWeights,
    readonly head: LinearHead,
    private labels: Label[],
    /** The labels file as `labels` were read from it or written: what an outside change is noticed against. */
    private held: { size: number; sha256: string },
    /** The head's seen markers in the store (keyed by the head's id) and what this workspace marked. */
    readonly markers: SeenMarkers,
  ) {}

  static async create(options: CreateOptions): Promise<TuningSession> {
    const paths = headPaths(options.headsDir, options.name);
    if (!options.overwrite && (await fileExists(paths.weights))) {
      throw new VectorTuneError(
        `a head named "${options.name}" already exists.`,
        paths.dir,
        'Pick another name, or pass --force to replace it.',
      );
    }
    const start = await resolveStart(options.start, options.store);
    const settings = { ...DEFAULT_TRAINING, ...options.settings };
    // Labels are the user's work: without --force they are never deleted, even when the weights are gone.
    if (!options.overwrite && (await readLabels(paths.labels)).labels.some((l) => l.round > 0)) {
      throw new VectorTuneError(
        `head "${options.name}" has a labels file but no weights file.`,
        paths.labels,
        'Restore classifier.weights.json (e.g. from git) to keep tuning it, or pass --force to start over and discard its labels.',
      );
    }
    await fs.mkdir(paths.dir, { recursive: true });
    await removeDeadWritersTemporaries(paths.dir);
    await ensureHeadGitattributes(paths.dir);
    await fs.rm(paths.labels, { force: true });
    const now = new Date().toISOString();
    const weights = buildWeights(options.name, options.store, start, settings, now);
    // A new head has a new id, so a fresh marker: nothing to reset in the store (seen-markers.ts).
    const markers = await SeenMarkers.open(options.store, paths.dir, weights, true);
    const head = LinearHead.fromStart(start.w, start.b);
    const session = new TuningSession(paths, options.store, weights, head, [], EMPTY_FILE, markers);
    session.annotator = options.annotator;
    // The examples are the user's first positives: labelled (round 0) and never shown again. Marked after the
    // weights are written, as in a round: a kill before that leaves no marks under an id no file records.
    const examples = start.kind === 'examples' ? start.ids : [];
    if (examples.length > 0)
      await session.recordLabels(examples.map((id): Label => session.signed({ id, score: 1, round: 0, time: now })));
    await session.saveWeights();
    await markers.mark(examples);
    return session;
  }

  /**
   * Opens a head folder against a store. Returns notes on any repair made: a crash after the labels were
   * written but before the weights were is healed by retraining from the labels.
   */
  static async open(headDir: string, store: VectorStore): Promise<{ session: TuningSession; repairs: string[] }> {
    const paths = headPathsIn(headDir);
    const weights = await readWeights(paths.weights);
    await removeDeadWritersTemporaries(paths.dir); // a weights write cut short by a kill
    checkWeightsMatchStore(weights, store.info, paths.weights);
    const read = await readLabels(paths.labels);
    const repairs: string[] = [];
    if (read.tornTail !== null)
      repairs.push(`ignored an unfinished last line in ${LABELS_FILE_NAME} (written when a process was killed).`);
    const markers = await SeenMarkers.open(store, paths.dir, weights);
    const head = LinearHead.fromStart(weights.w, weights.b);
    const session = new TuningSession(paths, store, weights, head, read.labels, read, markers);
    if (weights.labels.count !== read.labels.length || weights.labels.sha256 !== read.sha256) {
      const missing = await session.retrainFromLabels();
      repairs.push(`retrained from ${session.labelCount} labels (the weights recorded ${weights.labels.count}).`);
      if (missing.length > 0)
        repairs.push(`${missing.length} labelled record(s) are no longer in the store and were left out.`);
    }
    await markers.markUnmarked([...currentLabels(read.labels).keys()]);
    return { session, repairs };
  }

  /** Who labels in this session (`by` on the lines it writes); undefined: not recorded. */
  annotator?: string;

  /**
   * labels.jsonl is the truth: if it changed on disk since this session read or wrote it (an edit, a checkout, a
   * merge, another tool), the session takes the file's labels and retrains the head from a replay of them. Cheap
   * when nothing changed (a stat, and a hash when the size is the same). Returns what to tell the user, once.
   */
  async syncWithDisk(): Promise<string[]> {
    const size = await labelsFileSize(this.paths.labels);
    if (size === this.held.size) {
      const read = await readLabels(this.paths.labels);
      if (read.sha256 === this.held.sha256) return [];
      return this.takeLabels(read);
    }
    return this.takeLabels(await readLabels(this.paths.labels));
  }

  private async takeLabels(read: LabelsRead): Promise<string[]> {
    this.labels = read.labels;
    this.held = read;
    const missing = await this.retrainFromLabels();
    const current = [...currentLabels(this.labels).keys()];
    await this.markers.markUnmarked(current);
    const notes = [`${LABELS_FILE_NAME} changed on disk: retrained from ${current.length} labels.`];
    if (missing.length > 0)
      notes.push(`${missing.length} labelled record(s) are no longer in the store and were left out.`);
    return notes;
  }

  get name(): string {
    return this.weights.name;
  }

  /** Records labelled now (removed ones left out, a relabelled one counted once). */
  get labelCount(): number {
    return currentLabels(this.labels).size;
  }

  /** Lines in labels.jsonl: grows with every score, relabel and removal written. */
  get labelLines(): number {
    return this.labels.length;
  }

  get settings(): TrainingSettings {
    const { learningRate, stepsPerBatch, batchSize, l2, seed } = this.weights.training;
    return { learningRate, stepsPerBatch, batchSize, l2, seed };
  }

  get currentWeights(): Readonly<HeadWeights> {
    return this.weights;
  }

  get allLabels(): readonly Label[] {
    return this.labels;
  }

  /** The round the next submit will be. */
  get nextRound(): number {
    return this.labels.reduce((max, l) => Math.max(max, l.round), 0) + 1;
  }

  /** `maxSimilarity`: the -diverse strategies' near-duplicate cosine (default 0.9); they also avoid labelled records. */
  async nextBatch(k: number, strategy: Strategy, diverse: { maxSimilarity?: number } = {}): Promise<BatchCandidate[]> {
    const labelled = strategy.endsWith('-diverse') ? [...currentLabels(this.labels).keys()] : undefined;
    const hits = await selectCandidates(
      this.store,
      this.head.queryVector(),
      this.head.b,
      k,
      strategy,
      this.markers.key,
      {
        ...diverse,
        labelled,
      },
    );
    return hits.map((c) => {
      const logit = c.dot + this.head.b;
      return { id: c.id, path: c.path, logit, probability: sigmoid(logit) };
    });
  }

  async submit(verdicts: Verdict[]): Promise<RoundResult> {
    const notes = await this.syncWithDisk();
    const round = this.nextRound;
    // One read of the batch's records serves the check, the labels' paths and the training vectors.
    const records = new Map((await this.store.fetch(verdicts.map((v) => v.id))).map((r) => [r.id, r]));
    const known = new Set(records.keys());
    const unknown = verdicts.filter((v) => !known.has(v.id));
    if (unknown.length > 0)
      throw new VectorTuneError(
        `cannot score records that are not in the store: ${unknown
          .slice(0, 3)
          .map((v) => `"${v.id}"`)
          .join(', ')}.`,
      );
    // Validate every score before anything is written: a refused submission must leave no trace.
    verdicts.forEach((v) => v.score !== null && scoreToTarget(v.score));
    const time = new Date().toISOString();
    const scored = verdicts.filter((v): v is Verdict & { score: number } => v.score !== null);
    if (scored.length === 0) {
      // Nothing labelled, nothing learned: training now would make weights that replaying the labels cannot reproduce.
      await this.markers.mark(verdicts.map((v) => v.id));
      await fetchLabelVectors(this.store, this.labels, this.vectorCache);
      const loss = this.head.loss(examplesUpTo(this.labels, Infinity, this.vectorCache), this.settings.l2);
      return { round: round - 1, labelCount: this.labelCount, loss, moved: 0, ...notesOf(notes) };
    }
    const fresh = scored.map((v): Label => this.signed({ id: v.id, score: v.score, round, time }));
    await this.recordLabels(fresh, records);
    for (const v of scored) if (!this.vectorCache.has(v.id)) this.vectorCache.set(v.id, records.get(v.id)!.vector);
    await fetchLabelVectors(this.store, this.labels, this.vectorCache);
    const result = trainRound(this.head, this.labels, round, this.vectorCache, this.settings);
    // The labels are written; the weights and the seen marks both follow from them, so they are written side by side.
    await Promise.all([this.saveWeights(), this.markers.mark(verdicts.map((v) => v.id))]);
    return { round, labelCount: this.labelCount, ...result, ...notesOf(notes) };
  }

  /**
   * Changes or removes labels: one appended line each (labels.jsonl stays append-only), as a round of their own
   * (label-history.ts): the head trains one round on the labels as they now stand. A removed record is unmarked seen, so it may be offered again; a record labelled
   * again (an undone removal) is marked. A change to a record with no label history is refused.
   */
  async changeLabels(changes: LabelChange[]): Promise<{ labelCount: number; notes: string[] }> {
    const notes = await this.syncWithDisk();
    const latest = new Map(this.labels.map((l) => [l.id, l]));
    const unknown = changes.filter((c) => !latest.has(c.id));
    if (unknown.length > 0)
      throw new VectorTuneError(
        `cannot change the label of ${unknown
          .slice(0, 3)
          .map((c) => `"${c.id}"`)
          .join(', ')}: the head has never labelled it.`,
        this.paths.labels,
        'Score it in a batch instead.',
      );
    changes.forEach((c) => c.score !== null && scoreToTarget(c.score)); // refused before anything is written
    const time = new Date().toISOString();
    const round = this.nextRound;
    const lines = changes.map((c) =>
      changeLine(
        latest.get(c.id)!,
        c.score === null ? { removed: true } : { score: c.score, settle: c.settle },
        round,
        time,
        this.annotator,
      ),
    );
    await this.appendToFile(lines);
    await fetchLabelVectors(this.store, this.labels, this.vectorCache);
    trainRound(this.head, this.labels, round, this.vectorCache, this.settings);
    await this.saveWeights();
    await this.markers.unmark(changes.filter((c) => c.score === null).map((c) => c.id));
    await this.markers.mark(changes.filter((c) => c.score !== null).map((c) => c.id));
    return { labelCount: this.labelCount, notes };
  }

  async resetSeen(): Promise<void> {
    // Labelled records stay seen: showing them again would only invite a second, conflicting score.
    await this.markers.reset([...currentLabels(this.labels).keys()]);
  }

  /** Rebuilds w and b from the start point and every label; returns labelled ids missing from the store. */
  async retrainFromLabels(): Promise<string[]> {
    const missing = await fetchLabelVectors(this.store, this.labels, this.vectorCache);
    const rebuilt = replay(this.weights.start, this.labels, this.vectorCache, this.settings);
    this.head.w.set(rebuilt.w);
    this.head.b = rebuilt.b;
    await this.saveWeights();
    return missing;
  }

  /** `records`: the store's records of the labelled ids when the caller has read them (their paths go into the file). */
  private async recordLabels(fresh: Label[], records?: Map<string, RecordMeta>): Promise<void> {
    // Paths are looked up from the store so the labels file is readable on its own in a review.
    const metas = records ? [...records.values()] : await this.store.fetch(fresh.map((l) => l.id));
    const pathOf = new Map(metas.map((m) => [m.id, m.path]));
    // path goes before time and by, so a line reads id, path, score, round, time, by.
    const withPaths = fresh.map(({ id, score, round, time, by }): Label => {
      const path = pathOf.get(id);
      return { id, ...(path ? { path } : {}), score, round, time, ...(by !== undefined ? { by } : {}) };
    });
    await this.appendToFile(withPaths);
  }

  /**
   * Appends lines; the session's labels become what the file then holds (read back from the written bytes), so
   * they match the file even if it changed on disk a moment before.
   */
  private async appendToFile(lines: Label[]): Promise<void> {
    const written = await appendLabels(this.paths.labels, lines);
    this.labels = written.labels;
    this.held = written;
  }

  /** A label line with who gave it, when the session records that. */
  private signed(label: Label): Label {
    return this.annotator === undefined ? label : { ...label, by: this.annotator };
  }

  private async saveWeights(): Promise<void> {
    const { sha256 } = this.held;
    this.weights = {
      ...this.weights,
      w: Array.from(this.head.w),
      b: this.head.b,
      labels: { file: LABELS_FILE_NAME, count: this.labels.length, rounds: this.nextRound - 1, sha256 },
      updatedAt: new Date().toISOString(),
    };
    await writeWeights(this.paths.weights, this.weights);
  }
}

function notesOf(notes: string[]): { notes?: string[] } {
  return notes.length > 0 ? { notes } : {};
}
