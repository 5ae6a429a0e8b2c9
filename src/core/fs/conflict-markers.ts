import * as path from 'node:path';
import { VectorTuneError } from '../errors';

/**
 * Git's conflict markers in a head's files (a merge of two branches that both tuned the head). Both sides of a
 * conflicted labels file are labels the user gave, so resolving it is keeping both (a union); the weights are a
 * function of the start point and the labels, so either side's weights serve to rebuild from.
 */
const OURS = /^<{7}(?: |$)/;
const BASE = /^\|{7}(?: |$)/;
const SPLIT = /^={7}$/;
const THEIRS = /^>{7}(?: |$)/;

/** The 1-based line of the first conflict marker in `text`, or null when it has none. */
export function firstConflictLine(text: string): number | null {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => OURS.test(l.replace(/\r$/, '')));
  return i < 0 ? null : i + 1;
}

type Section = 'both' | 'ours' | 'base' | 'theirs';

/** Each line that is not a marker, with the part of the conflict it is in (what both sides share: 'both'). */
function* conflictLines(text: string): Generator<{ raw: string; section: Section }> {
  let section: Section = 'both';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (OURS.test(line)) section = 'ours';
    else if (BASE.test(line) && section === 'ours') section = 'base';
    else if (SPLIT.test(line) && section !== 'both') section = 'theirs';
    else if (THEIRS.test(line) && section === 'theirs') section = 'both';
    else yield { raw, section };
  }
}

/** The text as each side of the merge had it (a diff3 base section is dropped). */
export function conflictSides(text: string): { ours: string; theirs: string } {
  const ours: string[] = [];
  const theirs: string[] = [];
  for (const { raw, section } of conflictLines(text)) {
    if (section === 'both' || section === 'ours') ours.push(raw);
    if (section === 'both' || section === 'theirs') theirs.push(raw);
  }
  return { ours: ours.join('\n'), theirs: theirs.join('\n') };
}

/** Every line of both sides, markers dropped, in file order: what `merge=union` would have written. */
export function conflictUnion(text: string): string {
  const kept: string[] = [];
  for (const { raw, section } of conflictLines(text)) if (section !== 'base') kept.push(raw);
  return kept.join('\n');
}

/** The error for a head file left conflicted by a merge: names the line and says exactly what to run. */
export function conflictError(file: string, line: number): VectorTuneError {
  const head = path.basename(path.dirname(file));
  return new VectorTuneError(
    `${path.basename(file)} has unresolved git merge conflict markers (line ${line}): two branches changed this head.`,
    file,
    `Run "vector-tune rebuild ${head}" (in VS Code: Vector Tune: Rebuild Head): it keeps the labels of both sides ` +
      'and rewrites the weights from them. Then commit the two files.',
  );
}
