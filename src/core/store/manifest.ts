import * as fs from 'node:fs/promises';
import { isModelPrecision, MODEL_PRECISIONS, type ModelPrecision } from '../embed/precision';
import { VectorTuneError } from '../errors';
import { writeFileAtomic } from '../fs/durable';
import { sha256 } from '../util/hash';

/**
 * The embedded store's manifest is its commit point: data files are appended and fsynced first, then the
 * manifest is replaced atomically with the new row count. Whatever lies past the counts it names is an
 * unfinished write from a killed process and is ignored (and trimmed on the next write).
 *
 * The counts are checked against the data files when the store opens (the records file must hold exactly
 * `count` lines in `recordsBytes` bytes). What the data files cannot confirm, the store's identity (format,
 * model, dimension, centring mean), is sealed by `identitySha256`: a damaged digit (a dimension of 312 for
 * 512, another model name) is still valid JSON, and the store would read every row at the wrong width, or
 * answer for another model, without a word. Manifests written before the seal existed have none and are
 * read as they are; the next write adds it.
 */
export const STORE_FORMAT = 'vector-tune-store';
/** Version 2: the store records a precision other than fp32 (precision-check.ts). */
export const STORE_VERSION = 2;

export interface StoreManifest {
  format: typeof STORE_FORMAT;
  version: number;
  modelId: string;
  dimension: number;
  /** The model's precision; absent in stores written before it was recorded, which hold fp32 vectors. */
  precision?: ModelPrecision;
  /** Rows committed in the data files of this generation. */
  count: number;
  /** Bytes of the records file that belong to committed rows. */
  recordsBytes: number;
  /** Data files are named by generation; a rewrite (delete or replace) starts a new one. */
  generation: number;
  centringMean: number[] | null;
  /**
   * CRC-32 of the committed bytes of the vectors and records files, so bytes changed after they were written (a
   * bad disk, a stray edit) are refused at open instead of giving wrong vectors or ids. Absent in stores written
   * before they existed: then not checked, and added by the next write.
   */
  vectorsCrc32?: number;
  recordsCrc32?: number;
  /**
   * What opening would otherwise compute, saved beside the data files and committed with them (search-cache.ts).
   * Optional and rebuildable: absent in stores written before it existed, and checked before use (not here).
   */
  searchCache?: unknown;
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
  const { identitySha256, ...fields } = isObject(raw) ? raw : { identitySha256: undefined };
  const manifest = validateManifest(isObject(raw) ? fields : raw, file);
  if (identitySha256 !== undefined && identitySha256 !== identityHash(manifest)) {
    throw new VectorTuneError(
      'the store manifest is damaged: its model, dimension or centring do not match their checksum.',
      file,
      'The store is rebuildable: delete its folder and index again.',
    );
  }
  return manifest;
}

function identityHash(m: StoreManifest): string {
  const identity = [m.format, m.modelId, m.dimension, m.centringMean];
  // Sealed too when present; manifests from before it existed keep their seal.
  return sha256(JSON.stringify(m.precision === undefined ? identity : [...identity, m.precision]));
}

/** The manifest as written to disk, sealed. */
export function manifestText(manifest: StoreManifest): string {
  return JSON.stringify({ ...manifest, identitySha256: identityHash(manifest) }, null, 1) + '\n';
}

export function validateManifest(raw: unknown, file: string): StoreManifest {
  const m = raw as Partial<StoreManifest>;
  const bad = (what: string) =>
    new VectorTuneError(
      `the store manifest is invalid: ${what}.`,
      file,
      'The store is rebuildable: delete its folder and index again.',
    );
  if (!m || typeof m !== 'object' || m.format !== STORE_FORMAT) throw bad(`"format" must be "${STORE_FORMAT}"`);
  if (typeof m.version !== 'number' || !Number.isInteger(m.version) || m.version < 1)
    throw bad('"version" must be a whole number from 1');
  if (m.version > STORE_VERSION) {
    throw new VectorTuneError(
      `the store was written by a newer version of Vector Tune (store format ${m.version}; this version reads up to ${STORE_VERSION}).`,
      file,
      'Update Vector Tune, or delete the store folder and index again with this version.',
    );
  }
  if (typeof m.modelId !== 'string' || m.modelId === '') throw bad('"modelId" must be a non-empty string');
  if (!isCount(m.dimension) || m.dimension === 0) throw bad('"dimension" must be a positive integer');
  if (m.precision !== undefined && !isModelPrecision(m.precision))
    throw bad(`"precision" must be one of ${MODEL_PRECISIONS.join(', ')}`);
  if (!isCount(m.count)) throw bad('"count" must be a non-negative integer');
  if (!isCount(m.recordsBytes)) throw bad('"recordsBytes" must be a non-negative integer');
  if (!isCount(m.generation)) throw bad('"generation" must be a non-negative integer');
  for (const key of ['vectorsCrc32', 'recordsCrc32'] as const) {
    if (m[key] !== undefined && !(isCount(m[key]) && m[key] <= 0xffffffff))
      throw bad(`"${key}" must be a 32-bit checksum`);
  }
  if (m.centringMean !== null) {
    // Kept as float32 in memory: a value beyond float32 would become Infinity there.
    if (
      !Array.isArray(m.centringMean) ||
      m.centringMean.length !== m.dimension ||
      !m.centringMean.every((v) => typeof v === 'number' && Number.isFinite(Math.fround(v)))
    ) {
      throw bad(`"centringMean" must be null or ${m.dimension} finite float32 numbers`);
    }
  }
  return m as StoreManifest;
}

export async function writeManifest(file: string, manifest: StoreManifest): Promise<void> {
  await writeFileAtomic(file, manifestText(manifest));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}
