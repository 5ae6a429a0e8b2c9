import { VectorTuneError } from '../core/errors';
import { labelledRecords, type LabelledRecord } from '../core/tune/labelled-view';
import type { LabelChange, TuningSession } from '../core/tune/session';
import type { WorkerLog } from './worker-log';

/**
 * Takes an outside change of the head's labels.jsonl (session.syncWithDisk) and logs what it found; returns the
 * notes for the user.
 */
export async function takeOutsideChange(session: TuningSession, log: WorkerLog): Promise<string[]> {
  const notes = await session.syncWithDisk();
  for (const note of notes) log('warn', `Head "${session.name}": ${note}`);
  return notes;
}

/** The Labelled view's records, after taking any outside change. `order` comes from the panel: checked. */
export async function labelledOf(session: TuningSession, order: unknown, log: WorkerLog): Promise<LabelledRecord[]> {
  if (order !== 'round' && order !== 'disagreement')
    throw new VectorTuneError(`unknown order ${JSON.stringify(order)}; use round or disagreement.`);
  await takeOutsideChange(session, log);
  return labelledRecords(session, order);
}

/** Relabels and removals, timed and logged. */
export async function changeLabelsOf(
  session: TuningSession,
  changes: LabelChange[],
  log: WorkerLog,
): Promise<{ notes: string[]; ms: number }> {
  const started = performance.now();
  const { notes } = await session.changeLabels(changes);
  const ms = performance.now() - started;
  const removed = changes.filter((c) => c.score === null).length;
  log(
    'info',
    `Head "${session.name}": changed ${changes.length - removed}, removed ${removed} label(s); retrained from ${session.labelCount} labels in ${ms.toFixed(0)} ms.`,
  );
  return { notes, ms };
}
