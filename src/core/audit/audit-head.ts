import { scoreStore } from '../eval/score-store';
import { headPathsIn } from '../head/head-folder';
import { checkWeightsMatchStore, currentCalibration, HeadWeights } from '../head/weights-file';
import { readLabels } from '../tune/labels-file';
import type { VectorStore } from '../store/types';
import { VectorTuneError } from '../errors';
import { AUDIT_FILE_NAME, auditFileOf, readAudit, type AuditSample } from './audit-file';
import { auditReportOf, type AuditReport } from './audit-report';
import { auditEstimates, AuditEstimates, AuditPoint } from './estimates';

export interface AuditHeadOptions {
  /** The decision threshold on the logit (default: the head's calibrated threshold, else 0). */
  threshold?: number;
  /** Estimate what the head's top N would catch. */
  topN?: number;
  /** Also estimate the recall reachable at this precision. */
  atPrecision?: number;
  /** Ids the head was trained on (labels.jsonl), to count the overlap. */
  trainedIds?: ReadonlySet<string>;
}

/**
 * The head's logits on its scored audit records (the store's vectors are already preprocessed, so `w·x + b`), as
 * the estimates and the calibration use them. Records no longer in the store are an error: leaving them out
 * silently would make the sample no longer uniform.
 */
export async function auditPoints(
  weights: Pick<HeadWeights, 'w' | 'b'>,
  store: VectorStore,
  sample: AuditSample,
): Promise<{ points: AuditPoint[]; unscored: number; unsure: number }> {
  const scored = sample.items.filter((i) => i.score !== null && i.score !== 0);
  const vectors = new Map((await store.fetch(scored.map((i) => i.id))).map((r) => [r.id, r.vector]));
  const missing = scored.filter((i) => !vectors.has(i.id));
  if (missing.length > 0)
    throw new VectorTuneError(
      `${missing.length} scored audit record(s) are not in the store (e.g. "${missing[0].id}").`,
      undefined,
      'Index the folder they came from again, or draw a new audit sample (vector-tune audit --draw N --force).',
    );
  const points = scored.map((i): AuditPoint => {
    const x = vectors.get(i.id)!;
    let dot = 0;
    for (let d = 0; d < x.length; d++) dot += weights.w[d] * x[d];
    return { id: i.id, logit: dot + weights.b, positive: i.score! > 0 };
  });
  return {
    points,
    unscored: sample.items.filter((i) => i.score === null).length,
    unsure: sample.items.filter((i) => i.score === 0).length,
  };
}

/** The audit estimates of a head on its store, at its threshold (calibrated, when it has one, else logit 0). */
export async function auditHead(
  weights: HeadWeights,
  store: VectorStore,
  sample: AuditSample,
  options: AuditHeadOptions = {},
): Promise<AuditEstimates> {
  checkWeightsMatchStore(weights, store.info, weights.name);
  const { points, unscored, unsure } = await auditPoints(weights, store, sample);
  const collectionSize = await store.count();
  let top: { n: number; cutoff: number } | undefined;
  if (options.topN !== undefined && options.topN > 0) {
    const best = await scoreStore(store, Float32Array.from(weights.w), { top: options.topN });
    if (best.length > 0) top = { n: best.length, cutoff: best[best.length - 1].dot + weights.b };
  }
  const trained = options.trainedIds;
  return auditEstimates({
    points,
    unscored,
    unsure,
    trainedOn: trained ? sample.items.filter((i) => trained.has(i.id)).length : 0,
    collectionSize,
    threshold: options.threshold ?? 0,
    top,
    atPrecision: options.atPrecision,
  });
}

/**
 * The audit section of a head's evaluation report: its sample, scored by the committed weights on the store, at the
 * head's calibrated threshold (else logit 0). Refused when the head has no sample or none of it is scored: a report
 * that silently lacks the section would pass for one that has it.
 */
export async function auditReportForHead(
  headDir: string,
  weights: HeadWeights,
  store: VectorStore,
  options: { topN: number; atPrecision: number },
): Promise<AuditReport> {
  const file = auditFileOf(headDir);
  const sample = await readAudit(file);
  if (!sample || sample.items.every((i) => i.score === null))
    throw new VectorTuneError(
      sample ? 'no record of the audit sample is scored yet.' : `head "${weights.name}" has no audit sample.`,
      file,
      `Draw and score one first (vector-tune audit ${weights.name} --draw 200, then --from or --score).`,
    );
  const calibration = currentCalibration(weights);
  const trained = new Set((await readLabels(headPathsIn(headDir).labels)).labels.map((l) => l.id));
  const estimates = await auditHead(weights, store, sample, {
    threshold: calibration?.threshold.logit ?? 0,
    topN: options.topN,
    atPrecision: options.atPrecision,
    trainedIds: trained,
  });
  return auditReportOf(estimates, {
    file: AUDIT_FILE_NAME,
    seed: sample.draw.seed,
    sampleSize: sample.draw.size,
    thresholdFrom: calibration ? `calibrated (${calibration.threshold.rule})` : 'logit 0',
  });
}
