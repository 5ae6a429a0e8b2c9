import type { TrainingSettings } from '../head/linear-head';
import type { VectorStore } from '../store/types';
import type { StartSpec } from './start';

/** What a tuning session takes and gives (session.ts), apart so that protocols can name them cheaply. */

export interface BatchCandidate {
  id: string;
  path?: string;
  /** The head's current logit `w·x + b` and its probability. */
  logit: number;
  probability: number;
}

/** A user's verdict on one shown record: a score from -1 to +1, or null to skip it (seen, not labelled). */
export interface Verdict {
  id: string;
  score: number | null;
}

export interface RoundResult {
  round: number;
  labelCount: number;
  loss: number;
  moved: number;
  /** What the round found first (labels.jsonl changed on disk, so the head was retrained from it), told once. */
  notes?: string[];
}

/** A change to a labelled record: a new score, or `null` to remove its label. */
export interface LabelChange {
  id: string;
  score: number | null;
  /** The score settles annotators' disagreement (written `settled: true`; annotator-agreement.ts). */
  settle?: boolean;
}

export interface CreateOptions {
  headsDir: string;
  name: string;
  store: VectorStore;
  start: StartSpec;
  settings?: Partial<TrainingSettings>;
  /** Replace an existing head of that name (its labels are discarded). */
  overwrite?: boolean;
  /** Who labels (recorded as `by` on each label line); absent: not recorded. */
  annotator?: string;
}
