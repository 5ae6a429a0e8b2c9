import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';

/**
 * The embedded store's manifest is its commit point: data files are appended and fsynced first, then the
 * manifest is replaced atomically with the new row count. Whatever lies past the counts it names is an
 * unfinished write from a killed process and is ignored (and trimmed on the next write).
 */
export const STORE_FORMAT = 'vector-tune-store';
export const STORE_VERSION = 1;

export interface StoreManifest {
  format: typeof STORE_FORMAT;
  version: number;
  modelId: string;
  dimension: number;
  /** Rows committed in the data files of this generation. */
  count: number;
  /** Bytes of the records file that belong to committed rows. */
  recordsBytes: number;
  /** Data files are named by generation; a rewrite (delete or replace) starts a new one. */
  generation: number;
  centringMean: number[] | null;
  createdAt: string;
  updatedAt: string;
}

export async function readManifest(file: string): Promise<StoreManifest> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new VectorTuneError(`cannot read the store manifest (${(err as NodeJS.ErrnoException).code}).`, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new VectorTuneError(
      'the store manifest is not valid JSON.',
      file,
      'The store is rebuildable: delete its folder and index again.',
    );
  }
  return validateManifest(raw, file);
}

export function validateManifest(raw: unknown, file: string): StoreManifest {
  const m = raw as Partial<StoreManifest>;
  const bad = (what: string) =>
    new VectorTuneError(`the store manifest is invalid: ${what}.`, file, 'The store is rebuildable: delete its folder and index again.');
  if (!m || typeof m !== 'object' || m.format !== STORE_FORMAT) throw bad(`"format" must be "${STORE_FORMAT}"`);
  if (typeof m.version !== 'number' || !Number.isInteger(m.version)) throw bad('"version" must be an integer');
  if (m.version > STORE_VERSION) {
    throw new VectorTuneError(
      `the store was written by a newer version of Vector Tune (store format ${m.version}; this version reads up to ${STORE_VERSION}).`,
      file,
      'Update Vector Tune, or delete the store folder and index again with this version.',
    );
  }
  if (typeof m.modelId !== 'string' || m.modelId === '') throw bad('"modelId" must be a non-empty string');
  if (!isCount(m.dimension) || m.dimension === 0) throw bad('"dimension" must be a positive integer');
  if (!isCount(m.count)) throw bad('"count" must be a non-negative integer');
  if (!isCount(m.recordsBytes)) throw bad('"recordsBytes" must be a non-negative integer');
  if (!isCount(m.generation)) throw bad('"generation" must be a non-negative integer');
  if (m.centringMean !== null) {
    if (!Array.isArray(m.centringMean) || m.centringMean.length !== m.dimension || !m.centringMean.every(Number.isFinite)) {
      throw bad(`"centringMean" must be null or ${m.dimension} finite numbers`);
    }
  }
  return m as StoreManifest;
}

export async function writeManifest(file: string, manifest: StoreManifest): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(manifest, null, 1) + '\n');
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
