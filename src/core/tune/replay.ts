import { Example, LinearHead, scoreToTarget, TrainingResult, TrainingSettings } from '../head/linear-head';
import type { StartPoint } from '../head/weights-file';
import type { VectorStore } from '../store/types';
import type { Label } from './labels-file';

/**
 * The one training rule, used both live and when rebuilding a head from its labels: after round r, the head
 * takes its SGD passes over every label given up to and including round r (the latest score per record wins,
 * so a re-scored record counts once, and a removed one not at all). Same start, labels and settings => the same
 * weights, bit for bit.
 */
export function examplesUpTo(labels: Label[], round: number, vectors: Map<string, Float32Array>): Example[] {
  const latest = new Map<string, Label>();
  for (const l of labels) if (l.round <= round) latest.set(l.id, l);
  const examples: Example[] = [];
  for (const l of latest.values()) {
    if (l.removed) continue;
    const x = vectors.get(l.id);
    if (x) examples.push({ x, target: scoreToTarget(l.score) });
  }
  return examples;
}

export function trainRound(
  head: LinearHead,
  labels: Label[],
  round: number,
  vectors: Map<string, Float32Array>,
  settings: TrainingSettings,
): TrainingResult {
  return head.train(examplesUpTo(labels, round, vectors), settings, round);
}

/** Fetches the vectors of labelled records not yet in `cache`; returns the ids the store no longer holds. */
export async function fetchLabelVectors(
  store: VectorStore,
  labels: Label[],
  cache: Map<string, Float32Array>,
): Promise<string[]> {
  const wanted = [...new Set(labels.map((l) => l.id))].filter((id) => !cache.has(id));
  for (const r of await store.fetch(wanted)) cache.set(r.id, r.vector);
  return wanted.filter((id) => !cache.has(id));
}

/** Replays every round of `labels` from the start point. Round 0 (start examples) is never trained alone. */
export function replay(
  start: StartPoint,
  labels: Label[],
  vectors: Map<string, Float32Array>,
  settings: TrainingSettings,
): LinearHead {
  const head = LinearHead.fromStart(start.w, start.b);
  const rounds = [...new Set(labels.map((l) => l.round))].filter((r) => r > 0).sort((a, b) => a - b);
  for (const round of rounds) trainRound(head, labels, round, vectors, settings);
  return head;
}
