import * as fs from 'node:fs/promises';
import type { ImageEmbedder } from '../embed/encoder';
import { VectorTuneError } from '../errors';
import type { HeadWeights } from '../head/weights-file';
import type { RowFilter } from '../ingest/row-filter';
import type { VectorStore } from '../store/types';
import type { DataDescription } from './evaluation-result';
import { rankFolder, rankRawEmbeddings, rankStoreWithWeights, RankedRecord } from './rank';
import { fullReadNotice } from './score-store';
import { portablePath } from './truth';

/**
 * The held-out data a head is evaluated on. Paths are absolute; ids and paths of the ranked records are
 * relative to the workspace root, as everywhere else.
 * - `folder`: images embedded now with `embedder` (the head's model) and not stored: CI needs no store.
 * - `embeddings`: raw .npy + CSV rows (optionally filtered, e.g. split=test); `imageFolder` is the folder
 *   the ids are image paths in, when they are, so the report can show thumbnails.
 * - `store`: every record of the store.
 */
export type EvaluationData =
  | { kind: 'folder'; folder: string; embedder: ImageEmbedder; batchSize?: number; maxPixels?: number }
  | { kind: 'embeddings'; npyFile: string; csvFile: string; idColumn: string; where: RowFilter[]; imageFolder?: string }
  | { kind: 'store'; store: VectorStore };

export interface EvaluationProgress {
  done: number;
  total: number;
  message: string;
}

export interface RankedData {
  ranked: RankedRecord[];
  skipped: { path: string; reason: string }[];
  description: DataDescription;
}

export async function rankEvaluationData(
  weights: HeadWeights,
  data: EvaluationData,
  root: string,
  options: { signal?: AbortSignal; onProgress?: (p: EvaluationProgress) => void } = {},
): Promise<RankedData> {
  const progress = options.onProgress ?? (() => {});
  if (data.kind === 'folder') {
    const stat = await fs.stat(data.folder).catch(() => null);
    if (!stat?.isDirectory()) throw new VectorTuneError('no such folder to evaluate on.', data.folder);
    const folder = portablePath(root, data.folder);
    progress({ done: 0, total: 0, message: `Listing the images in ${folder}...` });
    const { ranked, skipped } = await rankFolder(weights, data.folder, root, data.embedder, {
      batchSize: data.batchSize,
      maxPixels: data.maxPixels,
      signal: options.signal,
      onProgress: (done, total) => progress({ done, total, message: `Embedded ${done} of ${total} images` }),
    });
    // rankFolder stops early when aborted and returns what it has; a partial evaluation must not pass as whole.
    options.signal?.throwIfAborted();
    return { ranked, skipped, description: { kind: 'folder', folder, description: `images in ${folder}/` } };
  }
  if (data.kind === 'embeddings') {
    progress({ done: 0, total: 0, message: 'Scoring the embeddings...' });
    const ranked = await rankRawEmbeddings(weights, {
      npyFile: data.npyFile,
      csvFile: data.csvFile,
      idColumn: data.idColumn,
      where: data.where,
      images: data.imageFolder ? { folder: data.imageFolder, root } : undefined,
    });
    const npy = portablePath(root, data.npyFile);
    const csv = portablePath(root, data.csvFile);
    const where = data.where.map((f) => `${f.column}=${f.value}`);
    const description = `${npy} (rows named by ${csv}${where.length ? `, where ${where.join(', ')}` : ''})`;
    return {
      ranked,
      skipped: [],
      description: { kind: 'embeddings', npy, csv, idColumn: data.idColumn, where, description },
    };
  }
  progress({ done: 0, total: 0, message: 'Scoring the store...' });
  const ranked = await rankStoreWithWeights(weights, data.store, weights.name, {
    onFullRead: (count, limit) => progress({ done: 0, total: count, message: fullReadNotice(count, limit) }),
    onProgress: (done, total) => progress({ done, total, message: `Scored ${done} of ${total} records` }),
  });
  return { ranked, skipped: [], description: { kind: 'store', description: 'every record of the store' } };
}
