import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../fs/durable';

/**
 * A head folder's `.gitattributes`, so that two people labelling the same committed head on two branches merge
 * without a manual step: labels.jsonl is append-only, so git's union merge keeps every line of both sides; the
 * weights are a function of the start point and the labels, so a merge keeps this side's weights file whole
 * (no conflict markers) and opening the head retrains it from the merged labels (its recorded hash no longer
 * matches). Git still lists the weights as conflicted until `git add`: the file is valid, and rewritten on open.
 */
export const HEAD_GITATTRIBUTES = [
  '# Written by Vector Tune: concurrent labelling of this head merges without conflicts.',
  '# labels.jsonl is append-only (the latest line per image wins): keep every line of both sides.',
  'labels.jsonl merge=union',
  '# The weights are rebuilt from the labels when the head is opened: keep one side whole, never conflict markers.',
  'classifier.weights.json -merge',
  '',
].join('\n');

/** Writes the head folder's .gitattributes unless it has one (a user's own is left alone). */
export async function ensureHeadGitattributes(headDir: string): Promise<void> {
  const file = path.join(headDir, '.gitattributes');
  const exists = await fs.stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) await writeFileAtomic(file, HEAD_GITATTRIBUTES);
}
