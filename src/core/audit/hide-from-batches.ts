import { auditFileOf, readAudit } from './audit-file';
import type { TuningSession } from '../tune/session';

/**
 * The audit sample is never trained on, so batches must never offer it: its records are marked seen by the head
 * (idempotent; a constant cost for the marks already made). Done on drawing and again before tuning, as the marks
 * live in the store and a store made again (or a fresh clone) has none.
 */
export async function hideAuditFromBatches(session: TuningSession): Promise<void> {
  const sample = await readAudit(auditFileOf(session.paths.dir));
  if (sample) await session.markers.markUnmarked(sample.items.map((i) => i.id));
}
