import { spawnSync } from 'node:child_process';
import * as os from 'node:os';

/** Who gives labels, as the user chose it: recorded as `by` on every label line a session writes. */
export interface AnnotatorChoice {
  /** false: no `by` on new lines (vectorTune.recordAnnotator: false, or `--no-by`). */
  record: boolean;
  /** Overrides the default (vectorTune.annotator, or `--by`); empty: the default. */
  name?: string;
}

/**
 * The annotator to record: the chosen name, else the `user.email` git uses in `workspace` (so a label names the
 * same person as the commit that brings it in), else the OS user. Undefined when recording is off.
 */
export function resolveAnnotator(choice: AnnotatorChoice, workspace: string): string | undefined {
  if (!choice.record) return undefined;
  const chosen = choice.name?.trim();
  if (chosen) return chosen;
  const git = spawnSync('git', ['config', 'user.email'], { cwd: workspace, encoding: 'utf8', timeout: 5000 });
  const email = git.status === 0 ? git.stdout.trim() : '';
  if (email) return email;
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined; // no user entry (some containers): nothing to record
  }
}
