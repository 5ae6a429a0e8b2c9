import type { Label } from './labels-file';

/**
 * labels.jsonl is append-only: a changed score or a removal is a new line, and the latest line for a record wins.
 * A change is a round of its own (the next round number): the head takes one round of training over every label
 * as it now stands, as after a batch. So a relabel costs one round, not a replay of every round (a full replay of
 * 100 rounds at 1,000 labels took 19-61 s on the loaded 2-core machine), the weights stay a replay of the file, and
 * its history of what was scored when, and by whom, stays reviewable in a diff.
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
  change: { score: number; settle?: boolean } | { removed: true },
  round: number,
  time: string,
  by: string | undefined,
): Label {
  const line: Label = { id: current.id, score: 0, round, time };
  if (current.path !== undefined) line.path = current.path;
  if ('removed' in change) line.removed = true;
  else line.score = change.score;
  if ('settle' in change && change.settle) line.settled = true;
  if (by !== undefined) line.by = by;
  return line;
}
