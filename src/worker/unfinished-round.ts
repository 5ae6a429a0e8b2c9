import { VectorTuneError } from '../core/errors';
import type { VectorStore } from '../core/store/types';
import { fetchLabelVectors, examplesUpTo } from '../core/tune/replay';
import { TuningSession, type RoundResult, type Verdict } from '../core/tune/session';

/**
 * A submit whose scores reached labels.jsonl, but whose later steps did not all complete: fetching the
 * labelled vectors, writing the weights or marking the batch seen. With a remote store (Pinecone) these
 * are network calls that can fail after the user's work is safe on disk. The round is then finished, not
 * repeated: the head is reopened (which retrains from the labels if the weights missed the round, and
 * re-marks labelled records seen) and the whole batch is marked seen. Submitting the same batch again
 * does exactly that and records nothing twice.
 */
export interface UnfinishedRound {
  headDir: string;
  verdicts: Verdict[];
  round: number;
  /** The head's w before the round, to report how far the round moved it. */
  wBefore: Float32Array;
}

/** What the submit failure says: the cause, and that the scores are safe and how to finish the round. */
export function roundNotFinished(err: unknown, unfinished: UnfinishedRound, labelsFile: string): unknown {
  if (!(err instanceof VectorTuneError)) return err; // a bug keeps its stack; the round is still finished on retry
  const scored = unfinished.verdicts.filter((v) => v.score !== null).length;
  return new VectorTuneError(
    `round ${unfinished.round} is not finished: ${err.problem}`,
    undefined,
    `Its ${scored} score(s) are saved in ${labelsFile}; submit the batch again to finish the round (nothing is recorded twice).`,
  );
}

/** Same records, same scores: the retry of the unfinished round's batch. */
export function sameVerdicts(a: Verdict[], b: Verdict[]): boolean {
  if (a.length !== b.length) return false;
  const scores = new Map(a.map((v) => [v.id, v.score]));
  return b.every((v) => scores.has(v.id) && scores.get(v.id) === v.score);
}

/** Finishes the round on a freshly opened session; returns it with the round's figures and any repair notes. */
export async function finishRound(
  unfinished: UnfinishedRound,
  store: VectorStore,
): Promise<{ session: TuningSession; result: RoundResult; repairs: string[] }> {
  const { session, repairs } = await TuningSession.open(unfinished.headDir, store);
  await session.markers.mark(unfinished.verdicts.map((v) => v.id));
  const vectors = new Map<string, Float32Array>();
  const labels = [...session.allLabels];
  await fetchLabelVectors(store, labels, vectors);
  const loss = session.head.loss(examplesUpTo(labels, Infinity, vectors), session.settings.l2);
  let moved = 0;
  session.head.w.forEach((w, i) => (moved += (w - unfinished.wBefore[i]) ** 2));
  return {
    session,
    result: { round: unfinished.round, labelCount: session.labelCount, loss, moved: Math.sqrt(moved) },
    repairs,
  };
}
