import type { Label } from './labels-file';

/**
 * labels.jsonl is append-only: a changed score or a removal is a new line, and the latest line for a record wins.
 * A relabel or removal keeps the round of the label it changes, so replaying the file trains every round on the
 * score the record has now (as if it had been given that score from the start), and the file's history of what
 * was scored when, and by whom, stays reviewable in a diff.
 */

/** Each record's current label (the latest line for its id), without the records whose latest line removes them. */
export function currentLabels(labels: readonly Label[]): Map<string, Label> {
  const latest = new Map<string, Label>();
  for (const l of labels) latest.set(l.id, l);
  for (const [id, l] of latest) if (l.removed) latest.delete(id);
  return latest;
}

/** A change to a record's label, as a line to append: a new score, or a removal (score 0 for older readers). */
export function changeLine(
  current: Label,
  change: { score: number } | { removed: true },
  time: string,
  by: string | undefined,
): Label {
  const line: Label = { id: current.id, score: 0, round: current.round, time };
  if (current.path !== undefined) line.path = current.path;
  if ('removed' in change) line.removed = true;
  else line.score = change.score;
  if (by !== undefined) line.by = by;
  return line;
}
