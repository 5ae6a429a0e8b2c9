/**
 * A store holds vectors of one model at one precision: fp16 and q8 vectors lie close to the fp32 ones (cosine
 * about 0.999 on the generated ViT-B/32) but not on them, so mixing them would rank images by how they were
 * embedded as well as by what they show. Stores made before the precision was recorded hold fp32 vectors.
 *
 * A store of another precision than fp32 is written with format version 2, which older versions of Vector
 * Tune refuse ("written by a newer version"), so that none of them adds fp32 vectors to it; fp32 stores keep
 * version 1 and stay readable by them.
 */
import { DEFAULT_PRECISION, type ModelPrecision } from '../embed/precision';
import { VectorTuneError } from '../errors';

/** The format version a store of this precision is written with. */
export function formatVersionFor(precision: ModelPrecision | undefined): number {
  return (precision ?? DEFAULT_PRECISION) === DEFAULT_PRECISION ? 1 : 2;
}

/**
 * The precision field as stores write it: only when not fp32, so an fp32 store stays exactly what older
 * versions wrote and read (their manifest seal does not cover a precision field).
 */
export function recordedPrecision(precision: ModelPrecision | undefined): { precision?: ModelPrecision } {
  return precision === undefined || precision === DEFAULT_PRECISION ? {} : { precision };
}

export function precisionOf(info: { precision?: ModelPrecision }): ModelPrecision {
  return info.precision ?? DEFAULT_PRECISION;
}

/** Why `wanted` vectors cannot go into a store of `stored` vectors, or null when they can. */
export function precisionProblem(
  stored: { modelId: string; precision?: ModelPrecision },
  wanted: { precision?: ModelPrecision },
): string | null {
  const [have, want] = [precisionOf(stored), precisionOf(wanted)];
  if (have === want) return null;
  return `it holds ${have} embeddings of "${stored.modelId}", and these are ${want}; vectors of two precisions cannot be mixed`;
}

/** What to do about it, naming both ways out: index at the store's precision, or re-index at the new one. */
export function precisionHint(stored: { precision?: ModelPrecision }, wanted: { precision?: ModelPrecision }): string {
  const [have, want] = [precisionOf(stored), precisionOf(wanted)];
  return (
    `Set the precision back to ${have} (setting vectorTune.precision, option --precision ${have}); or, to re-index at ${want}, ` +
    'index into another store (vectorTune.storeLocation / --store, or another Pinecone index), or delete this store and index the folder again.'
  );
}

export function precisionError(
  where: string,
  stored: { modelId: string; precision?: ModelPrecision },
  wanted: { precision?: ModelPrecision },
  file?: string,
): VectorTuneError | null {
  const problem = precisionProblem(stored, wanted);
  return problem === null ? null : new VectorTuneError(`${where}: ${problem}.`, file, precisionHint(stored, wanted));
}
