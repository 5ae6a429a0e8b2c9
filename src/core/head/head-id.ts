import { randomBytes } from 'node:crypto';
import { sha256 } from '../util/hash';
import type { HeadWeights } from './weights-file';

/**
 * A head's identity, apart from its name: two unrelated heads called `hat` (two repositories, two teammates) are
 * two heads, while one committed head opened in two clones is one. Seen markers are keyed by it (seen-markers.ts),
 * so a team labelling one committed head shares them and a different head of the same name never touches them.
 */
export function newHeadId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The id a head's weights file records, or, for a head written before ids existed, one derived from what its
 * committed file fixed at creation (name, creation time and start point): every clone derives the same id, and
 * two heads that merely share a name differ in creation time.
 */
export function headIdOf(weights: HeadWeights): string {
  if (weights.id !== undefined) return weights.id;
  const { name, createdAt, start } = weights;
  return sha256(JSON.stringify(['vector-tune-head-id', name, createdAt ?? '', start])).slice(0, 32);
}
