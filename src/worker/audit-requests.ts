import * as fs from 'node:fs/promises';
import { auditFileOf, readAudit, scoreAudit, writeAudit } from '../core/audit/audit-file';
import { auditHead } from '../core/audit/audit-head';
import { drawAuditSample } from '../core/audit/draw';
import { hideAuditFromBatches } from '../core/audit/hide-from-batches';
import { VectorTuneError } from '../core/errors';
import { sigmoid } from '../core/head/linear-head';
import { currentCalibration } from '../core/head/weights-file';
import type { TuningSession } from '../core/tune/session';
import type { BatchCandidate, Verdict } from '../core/tune/session-types';
import type { AuditFigures, WorkerProtocol } from '../protocol/worker-protocol';
import type { Params } from '../protocol/rpc';
import type { HeadSummary } from '../protocol/worker-protocol';
import { checkBatchSize } from './batch-size';
import type { Handlers } from './request-context';

/**
 * The audit sample as the panel uses it (src/core/audit holds the rules): drawing it, showing its unscored records as
 * a batch, and writing their scores into audit.jsonl. Nothing here touches labels.jsonl or the head: the sample is
 * never trained on.
 */

/** Draws the head's sample (refused over an existing one unless `replace`) and hides it from the head's batches. */
export async function drawAudit(session: TuningSession, params: Params<WorkerProtocol, 'drawAudit'>): Promise<void> {
  const file = auditFileOf(session.paths.dir);
  const existing = await readAudit(file);
  if (existing && !params.replace)
    throw new VectorTuneError(
      `head "${session.name}" already has an audit sample of ${existing.draw.size} records.`,
      file,
      'Keep labelling it (its estimates stay comparable over time), or draw again and choose to replace it.',
    );
  await writeAudit(file, await drawAuditSample(session.store, params.size, params.seed));
  await hideAuditFromBatches(session);
}

/**
 * Up to `k` unscored records of the sample, in the order they were drawn (so the labelled part stays a random
 * subsample), leaving out those the user skipped in this session; with the head's logit of each, as in any batch.
 */
export async function auditBatch(
  session: TuningSession,
  params: Params<WorkerProtocol, 'auditBatch'>,
): Promise<{ candidates: BatchCandidate[]; unscored: number }> {
  const sample = await readAudit(auditFileOf(session.paths.dir));
  if (!sample)
    throw new VectorTuneError(
      `head "${session.name}" has no audit sample yet.`,
      auditFileOf(session.paths.dir),
      'Draw one first: Vector Tune: Draw Audit Sample.',
    );
  const skip = new Set(params.skip);
  const unscored = sample.items.filter((i) => i.score === null);
  const chosen = unscored.filter((i) => !skip.has(i.id)).slice(0, params.k);
  const vectors = new Map((await session.store.fetch(chosen.map((i) => i.id))).map((r) => [r.id, r.vector]));
  const candidates = chosen
    .filter((i) => vectors.has(i.id))
    .map((i): BatchCandidate => {
      const logit = session.head.logit(vectors.get(i.id)!);
      return { id: i.id, path: i.path, logit, probability: sigmoid(logit) };
    });
  return { candidates, unscored: unscored.length };
}

/** Writes scores of sample records into audit.jsonl (skipped ones, null, are left unscored). */
export async function scoreAuditRecords(
  session: TuningSession,
  params: Params<WorkerProtocol, 'scoreAudit'>,
): Promise<void> {
  const file = auditFileOf(session.paths.dir);
  const sample = await readAudit(file);
  if (!sample) throw new VectorTuneError(`head "${session.name}" has no audit sample.`, file);
  const scores = new Map(params.scores.filter((s) => s.score !== null).map((s) => [s.id, s.score!]));
  const { sample: scored, outside } = scoreAudit(sample, scores);
  if (outside.length > 0)
    throw new VectorTuneError(
      `${outside.length} record(s) are not in the audit sample (e.g. "${outside[0]}"); nothing was written.`,
      file,
    );
  if (scores.size > 0) await writeAudit(file, scored);
}

/**
 * The verdicts with the audit sample's records skipped (seen, not labelled): a batch on screen when the sample was
 * drawn may hold some, and the sample is never trained on. `note` says how many, for the user to be told.
 */
export async function withoutAuditScores(
  session: TuningSession,
  verdicts: Verdict[],
): Promise<{ verdicts: Verdict[]; note?: string }> {
  const sample = await readAudit(auditFileOf(session.paths.dir));
  if (!sample) return { verdicts };
  const inSample = new Set(sample.items.map((i) => i.id));
  const held = verdicts.filter((v) => v.score !== null && inSample.has(v.id)).length;
  if (held === 0) return { verdicts };
  return {
    verdicts: verdicts.map((v) => (inSample.has(v.id) ? { id: v.id, score: null } : v)),
    note: `${held} image(s) of this batch belong to the audit sample drawn since it was shown: their scores were not trained on (score them with Label Audit Sample).`,
  };
}

/**
 * The audit estimates for the panel header, cached per head until its labels, weights or audit file change: a
 * summary is sent with every request, and the estimates fetch the sample's vectors.
 */
export class AuditFiguresCache {
  private cached?: { session: TuningSession; key: string; figures: AuditFigures | undefined };

  async of(session: TuningSession): Promise<AuditFigures | undefined> {
    const file = auditFileOf(session.paths.dir);
    const stat = await fs.stat(file).catch(() => null);
    if (!stat) return undefined;
    const key = `${session.labelLines}:${session.head.b}:${stat.mtimeMs}:${stat.size}`;
    if (this.cached?.session === session && this.cached.key === key) return this.cached.figures;
    const figures = await figuresOf(session, file);
    this.cached = { session, key, figures };
    return figures;
  }
}

async function figuresOf(session: TuningSession, file: string): Promise<AuditFigures | undefined> {
  const weights = session.currentWeights;
  const calibration = currentCalibration(weights);
  const thresholdFrom = calibration ? `calibrated (${calibration.threshold.rule})` : 'logit 0';
  try {
    const sample = await readAudit(file);
    if (!sample) return undefined;
    const scored = sample.items.filter((i) => i.score !== null).length;
    const base = { size: sample.draw.size, scored, thresholdFrom };
    if (scored === 0) return { ...base, estimates: null };
    const estimates = await auditHead(weights, session.store, sample, {
      threshold: calibration?.threshold.logit ?? 0,
      trainedIds: new Set(session.allLabels.map((l) => l.id)),
    });
    return { ...base, estimates };
  } catch (err) {
    // A damaged audit file must not stop the head from being tuned: the header says what is wrong instead.
    return { size: 0, scored: 0, thresholdFrom, estimates: null, error: (err as Error).message };
  }
}

/** The audit requests of the worker protocol, on the open head (`session`), answering with its summary. */
export function auditHandlers(
  session: (headDir: string) => TuningSession,
  summary: (session: TuningSession) => Promise<HeadSummary>,
): Pick<Handlers, 'drawAudit' | 'auditBatch' | 'scoreAudit'> {
  return {
    drawAudit: async (p) => {
      const head = session(p.headDir);
      await drawAudit(head, p);
      return summary(head);
    },
    auditBatch: async (p) => {
      const head = session(p.headDir);
      checkBatchSize(p.k);
      return { head: await summary(head), ...(await auditBatch(head, p)) };
    },
    scoreAudit: async (p) => {
      const head = session(p.headDir);
      await scoreAuditRecords(head, p);
      return summary(head);
    },
  };
}
