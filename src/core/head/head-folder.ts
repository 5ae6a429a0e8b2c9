import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { LABELS_FILE_NAME } from '../tune/labels-file';
import { WEIGHTS_FILE_NAME } from './weights-file';

/** Heads live in the repo, one folder each: `<headsDir>/<name>/{classifier.weights.json, labels.jsonl, reports/}`. */
export const DEFAULT_HEADS_DIR = path.join('vectortune', 'heads');

const HEAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A head's name becomes a folder and a seen-set key, so it is restricted to a safe, portable alphabet. */
export function validateHeadName(name: string): string {
  if (!HEAD_NAME.test(name) || name.includes('..')) {
    throw new VectorTuneError(
      `"${name}" is not a valid head name.`,
      undefined,
      'Use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. "hat" or "dogs-at-shows").',
    );
  }
  return name;
}

export interface HeadPaths {
  dir: string;
  weights: string;
  labels: string;
  reports: string;
}

export function headPaths(headsDir: string, name: string): HeadPaths {
  const dir = path.join(headsDir, validateHeadName(name));
  return headPathsIn(dir);
}

export function headPathsIn(dir: string): HeadPaths {
  return {
    dir,
    weights: path.join(dir, WEIGHTS_FILE_NAME),
    labels: path.join(dir, LABELS_FILE_NAME),
    reports: path.join(dir, 'reports'),
  };
}

/** The heads in `headsDir`: its sub-folders that hold a weights file, by name. None when the folder is absent. */
export async function listHeadNames(headsDir: string): Promise<string[]> {
  const entries = await fs.readdir(headsDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const names: string[] = [];
  for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const has = await fs.stat(headPathsIn(path.join(headsDir, e.name)).weights).then(
      (s) => s.isFile(),
      () => false,
    );
    if (has) names.push(e.name);
  }
  return names;
}
