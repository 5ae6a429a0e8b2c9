import * as fs from 'node:fs/promises';
import type { ImageEmbedder } from '../embed/encoder';
import { VectorTuneError } from '../errors';
import { checkModelFitsHead } from '../head/apply-head';
import type { HeadWeights } from '../head/weights-file';
import { parseRowFilter } from '../ingest/row-filter';
import { checkTruthUsable, summariseRanking } from './evaluate';
import type { EvaluationProgress } from './evaluation-data';
import { describeHeldOut, type HeldOutSpec, heldOutFile, readHeldOutSpec, resolveFromHead } from './held-out-config';
import { embedFolder, type EmbeddedRecords, rankEmbedded, readRawEmbeddings } from './rank';
import { loadTruth, portablePath, type Truth, type TruthSpec } from './truth';

/** The held-out figures of one evaluated round: what the progress chart plots and `tune` prints. */
export interface HeldOutFigures {
  round: number;
  averagePrecision: number | null;
  rocAuc: number | null;
  /** Records measured (with an answer, not labelled) and the positives among them. */
  n: number;
  positives: number;
  /** Time to score and measure the set, in milliseconds (the embedding is paid once, at load). */
  ms: number;
}

/** Rounds whose number is a multiple of `every` are evaluated; 0 turns the trend off. */
export function isEvaluatedRound(round: number, every: number): boolean {
  return every > 0 && round > 0 && round % every === 0;
}

export interface LoadHeldOutOptions {
  /** Workspace root: ids and truth paths are relative to it, as `eval --root` makes them. */
  root: string;
  /** The head's model, for a folder of images (asked for only then). */
  embedder?: () => Promise<ImageEmbedder>;
  signal?: AbortSignal;
  onProgress?: (p: EvaluationProgress) => void;
}

/**
 * A head's held-out set, read or embedded once and then measured with the head's current weights every few
 * rounds: scoring a few thousand vectors costs milliseconds, embedding the images again would cost a round many
 * times over. The figures are `eval`'s (the same ranking, truth and metrics code).
 */
export class HeldOutSet {
  private constructor(
    readonly spec: HeldOutSpec,
    /** The config file's size and mtime when read, to notice it changing. */
    readonly stamp: string,
    private readonly embedded: EmbeddedRecords,
    private readonly truth: Truth,
  ) {}

  /** The head's held-out set (held-out.json in its folder), loaded; null when it has none. */
  static async load(headDir: string, weights: HeadWeights, options: LoadHeldOutOptions): Promise<HeldOutSet | null> {
    const stamp = await heldOutStamp(headDir);
    const spec = await readHeldOutSpec(headDir);
    return spec ? HeldOutSet.fromSpec(headDir, spec, weights, options, stamp) : null;
  }

  /** A held-out set as `spec` describes it (paths relative to `headDir`), loaded and checked against `weights`. */
  static async fromSpec(
    headDir: string,
    spec: HeldOutSpec,
    weights: HeadWeights,
    options: LoadHeldOutOptions,
    stamp = '',
  ): Promise<HeldOutSet> {
    try {
      const { embedded, truthSpec } = await loadData(headDir, spec, weights, options);
      if (embedded.records.length === 0) throw new VectorTuneError(`no records in ${describeHeldOut(spec)}.`);
      const truth = await loadTruth(truthSpec, options.root);
      const ranked = rankEmbedded(weights, embedded);
      checkTruthUsable(summariseRanking(ranked, truth, 0).metrics!, truth, ranked, truthSpec);
      return new HeldOutSet(spec, stamp, embedded, truth);
    } catch (err) {
      // Whatever is wrong (a moved folder, a typo in the class), the user must learn which file set it up.
      if (err instanceof VectorTuneError)
        throw new VectorTuneError(
          `held-out set: ${err.file ? `${err.file}: ` : ''}${err.problem}`,
          heldOutFile(headDir),
          err.hint,
        );
      throw err;
    }
  }

  get size(): number {
    return this.embedded.records.length;
  }

  get description(): string {
    return describeHeldOut(this.spec);
  }

  /** AP and ROC-AUC of `weights` on the set, leaving out records the head was trained on (`excludeIds`). */
  measure(weights: HeadWeights, round: number, excludeIds?: ReadonlySet<string>): HeldOutFigures {
    const started = performance.now();
    let ranked = rankEmbedded(weights, this.embedded);
    if (excludeIds && excludeIds.size > 0) ranked = ranked.filter((r) => !excludeIds.has(r.id));
    const m = summariseRanking(ranked, this.truth, 0).metrics!;
    return {
      round,
      averagePrecision: m.averagePrecision,
      rocAuc: m.rocAuc,
      n: m.n,
      positives: m.positives,
      ms: performance.now() - started,
    };
  }
}

/** Size and mtime of the head's held-out.json ('' when absent): a changed stamp means load the set again. */
export async function heldOutStamp(headDir: string): Promise<string> {
  const stat = await fs.stat(heldOutFile(headDir)).catch(() => null);
  return stat ? `${stat.size}:${stat.mtimeMs}` : '';
}

/** `held-out AP 0.7100, ROC-AUC 0.9500 (round 10: 612 records, 28 positive; 12 ms)`, as `tune` prints it. */
export function formatHeldOut(f: HeldOutFigures): string {
  const fig = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
  return `held-out AP ${fig(f.averagePrecision)}, ROC-AUC ${fig(f.rocAuc)} (round ${f.round}: ${f.n} records, ${f.positives} positive; ${Math.round(f.ms)} ms)`;
}

async function loadData(
  headDir: string,
  spec: HeldOutSpec,
  weights: HeadWeights,
  options: LoadHeldOutOptions,
): Promise<{ embedded: EmbeddedRecords; truthSpec: TruthSpec }> {
  const { root } = options;
  if (spec.kind === 'folder') {
    const folder = resolveFromHead(headDir, spec.folder);
    const stat = await fs.stat(folder).catch(() => null);
    if (!stat?.isDirectory()) throw new VectorTuneError('no such folder of held-out images.', folder);
    if (!options.embedder) throw new VectorTuneError("a folder of images needs the head's model to embed it.");
    const embedder = await options.embedder();
    checkModelFitsHead(weights, embedder);
    const embedded = await embedFolder(folder, root, embedder, {
      signal: options.signal,
      onProgress: (done, total) =>
        options.onProgress?.({ done, total, message: `Embedded ${done} of ${total} held-out images` }),
    });
    options.signal?.throwIfAborted();
    return { embedded, truthSpec: { kind: 'folders', positive: spec.positive, under: portablePath(root, folder) } };
  }
  const csvFile = resolveFromHead(headDir, spec.csv);
  const embedded = await readRawEmbeddings(weights, {
    npyFile: resolveFromHead(headDir, spec.npy),
    csvFile,
    idColumn: spec.idColumn,
    where: spec.where.map(parseRowFilter),
  });
  return {
    embedded,
    truthSpec: {
      kind: 'answers',
      sheet: { file: csvFile, idColumn: spec.idColumn, labelColumn: spec.labelColumn, positive: spec.positive },
    },
  };
}
