import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { listImageFiles } from '../../src/core/ingest/walk';
import type { DatasetName } from './options';

export const SHARED_DATA = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');

/** The dataset's image files, sorted; with a limit, that many spread evenly over the list (every class kept). */
export async function datasetFiles(name: DatasetName, limit?: number): Promise<{ root: string; files: string[] }> {
  const root = path.join(SHARED_DATA, name);
  const { images } = await listImageFiles(root).catch((err: unknown) => {
    throw new Error(
      `cannot list the dataset ${root}: ${err instanceof Error ? err.message : String(err)} (see ../shared/data/README.md)`,
    );
  });
  if (images.length === 0) throw new Error(`no images under ${root}`);
  if (!limit || limit >= images.length) return { root, files: images };
  const step = images.length / limit;
  return { root, files: Array.from({ length: limit }, (_, i) => images[Math.floor(i * step)]) };
}

export interface StagedDataset {
  /** The workspace root: store ids are relative to it. */
  workspace: string;
  /** One folder per interleaved segment, each holding its files under their dataset-relative paths. */
  segments: { folder: string; files: string[] }[];
}

/**
 * Copies the files into `workspace/seg-NNN/<path in the dataset>`, `segmentSize` per folder, so each segment
 * can be indexed by its own indexFolder call between the model-alone runs. The copies are fresh, so they are
 * in the page cache: the benchmark measures reading from memory, not from a cold disk.
 */
export async function stageDataset(
  root: string,
  files: string[],
  workspace: string,
  segmentSize: number,
): Promise<StagedDataset> {
  const segments: StagedDataset['segments'] = [];
  for (let start = 0; start < files.length; start += segmentSize) {
    const folder = path.join(workspace, `seg-${String(segments.length).padStart(3, '0')}`);
    const copies: string[] = [];
    for (const file of files.slice(start, start + segmentSize)) {
      const copy = path.join(folder, path.relative(root, file));
      await fs.mkdir(path.dirname(copy), { recursive: true });
      await fs.copyFile(file, copy);
      copies.push(copy);
    }
    segments.push({ folder, files: copies });
  }
  return { workspace, segments };
}
