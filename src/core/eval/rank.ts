import * as path from 'node:path';
import { checkModelFitsHead, logitsOfRaw } from '../head/apply-head';
import { checkWeightsMatchStore, HeadWeights } from '../head/weights-file';
import { column, readCsv } from '../io/csv';
import { asMatrix, readNpy } from '../io/npy';
import { RowFilter, rowMatches } from '../ingest/row-filter';
import type { VectorStore } from '../store/types';
import type { TuningSession } from '../tune/session';
import { VectorTuneError } from '../errors';
import type { ImageEmbedder } from '../embed/encoder';
import { embedFiles, EmbedFilesOptions } from '../ingest/embed-files';
import { listImageFiles, toPosixRelative } from '../ingest/walk';
import { scoreStore, type ScoreStoreOptions } from './score-store';

export interface RankedRecord {
  id: string;
  path?: string;
  logit: number;
}

/** Every record of the store (or the best `top`), best first, seen or not. */
export async function rankStore(
  session: TuningSession,
  store: VectorStore,
  options: ScoreStoreOptions = {},
): Promise<RankedRecord[]> {
  return rankStoreBy(store, session.head.queryVector(), session.head.b, options);
}

/** Every record of the store, scored by a committed head (no session, so no labels file or repair needed). */
export async function rankStoreWithWeights(
  weights: HeadWeights,
  store: VectorStore,
  file = weights.name,
  options: ScoreStoreOptions = {},
): Promise<RankedRecord[]> {
  checkWeightsMatchStore(weights, store.info, file);
  return rankStoreBy(store, Float32Array.from(weights.w), weights.b, options);
}

async function rankStoreBy(
  store: VectorStore,
  w: Float32Array,
  b: number,
  options: ScoreStoreOptions,
): Promise<RankedRecord[]> {
  const hits = await scoreStore(store, w, options);
  return hits.map((h) => ({ id: h.id, path: h.path, logit: h.dot + b }));
}

export interface RawEmbeddingsSource {
  npyFile: string;
  csvFile: string;
  idColumn: string;
  where: RowFilter[];
  /**
   * When the ids are image paths relative to `folder`, each record gets its workspace-relative `path`
   * (relative to `root`), so reports can link the images.
   */
  images?: { folder: string; root: string };
}

/**
 * Records with their raw embeddings (rows of `data`, `dimension` wide), read or embedded once and then scored by
 * any head of that model: `eval` scores them once, the held-out trend (held-out-set.ts) every few rounds.
 */
export interface EmbeddedRecords {
  records: { id: string; path?: string }[];
  data: Float32Array;
  dimension: number;
  /** Files that could not be embedded (folder data), with the reason. */
  skipped: { path: string; reason: string }[];
}

/** Scores embedded records with a head's own preprocessing, best first. */
export function rankEmbedded(weights: HeadWeights, embedded: EmbeddedRecords): RankedRecord[] {
  const logits = logitsOfRaw(weights, embedded.data, embedded.records.length);
  return embedded.records.map((r, i) => ({ ...r, logit: logits[i] })).sort((a, b) => b.logit - a.logit);
}

/** Raw embeddings (.npy + CSV), scored with the head's own preprocessing, best first. */
export async function rankRawEmbeddings(weights: HeadWeights, source: RawEmbeddingsSource): Promise<RankedRecord[]> {
  return rankEmbedded(weights, await readRawEmbeddings(weights, source));
}

/** The rows of raw embeddings that `source.where` selects, checked against the head's dimension. */
export async function readRawEmbeddings(weights: HeadWeights, source: RawEmbeddingsSource): Promise<EmbeddedRecords> {
  const matrix = asMatrix(await readNpy(source.npyFile), source.npyFile);
  if (matrix.dim !== weights.model.dimension) {
    throw new VectorTuneError(
      `these embeddings are ${matrix.dim}-d, but the head "${weights.name}" was trained on ${weights.model.dimension}-d embeddings of "${weights.model.id}".`,
      source.npyFile,
    );
  }
  const csv = await readCsv(source.csvFile);
  if (csv.rows.length !== matrix.rows) {
    throw new VectorTuneError(
      `the CSV has ${csv.rows.length} data lines but the matrix has ${matrix.rows} rows.`,
      source.csvFile,
    );
  }
  const ids = column(csv, source.idColumn, source.csvFile);
  const rows = csv.rows.flatMap((row, i) => (rowMatches(csv.header, row, source.where, source.csvFile) ? [i] : []));
  const d = matrix.dim;
  const data = new Float32Array(rows.length * d);
  rows.forEach((r, j) => data.set(matrix.data.subarray(r * d, (r + 1) * d), j * d));
  const images = source.images;
  const records = rows.map((i) =>
    images ? { id: ids[i], path: toPosixRelative(images.root, path.resolve(images.folder, ids[i])) } : { id: ids[i] },
  );
  return { records, data, dimension: d, skipped: [] };
}

export interface RankFolderOptions extends EmbedFilesOptions {
  /** Called after each batch with the images embedded (or skipped) so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface FolderRanking {
  ranked: RankedRecord[];
  skipped: { path: string; reason: string }[];
}

/**
 * Embeds the images of a folder (without storing them) and scores them with a committed head: "predict" for
 * a head in CI, or for a new batch of photos. The embedder must be the model the head was trained on.
 */
export async function rankFolder(
  weights: HeadWeights,
  folder: string,
  root: string,
  embedder: ImageEmbedder,
  options: RankFolderOptions = {},
): Promise<FolderRanking> {
  checkModelFitsHead(weights, embedder);
  const embedded = await embedFolder(folder, root, embedder, options);
  return { ranked: rankEmbedded(weights, embedded), skipped: embedded.skipped };
}

/** The images of a folder embedded (not stored), ids and paths relative to `root`. */
export async function embedFolder(
  folder: string,
  root: string,
  embedder: ImageEmbedder,
  options: RankFolderOptions = {},
): Promise<EmbeddedRecords> {
  const { images } = await listImageFiles(folder);
  const records: EmbeddedRecords['records'] = [];
  const vectors: Float32Array[] = [];
  const skipped: EmbeddedRecords['skipped'] = [];
  for await (const batch of embedFiles(images, (f) => f, embedder, options)) {
    for (const s of batch.skipped) skipped.push({ path: toPosixRelative(root, s.item), reason: s.reason });
    for (const e of batch.embedded) {
      const id = toPosixRelative(root, e.item);
      records.push({ id, path: id });
      vectors.push(e.vector);
    }
    options.onProgress?.(records.length + skipped.length, images.length);
  }
  const d = embedder.dimension;
  const data = new Float32Array(records.length * d);
  vectors.forEach((v, i) => data.set(v, i * d));
  return { records, data, dimension: d, skipped };
}
