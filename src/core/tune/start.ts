import { VectorTuneError } from '../errors';
import { checkWeightsMatchStore, readWeights, StartPoint } from '../head/weights-file';
import type { VectorStore } from '../store/types';
import { sha256 } from '../util/hash';
import { norm } from '../vector';
import * as fs from 'node:fs/promises';

/** How a new head begins: a text prompt (already embedded by the caller), example records, or a weights file. */
export type StartSpec =
  | { kind: 'prompt'; prompt: string; vector: Float32Array }
  | { kind: 'examples'; ids: string[] }
  | { kind: 'weights'; file: string };

/** Turns a start spec into starting weights, checked against the store's model and dimension. */
export async function resolveStart(spec: StartSpec, store: VectorStore): Promise<StartPoint> {
  const { dimension, modelId } = store.info;
  if (spec.kind === 'prompt') {
    if (spec.vector.length !== dimension) {
      throw new VectorTuneError(
        `the prompt's embedding has ${spec.vector.length} dimensions; the store holds ${dimension}-d vectors of "${modelId}".`,
      );
    }
    return { kind: 'prompt', prompt: spec.prompt, w: unit(Array.from(spec.vector)), b: 0 };
  }
  if (spec.kind === 'examples') {
    if (spec.ids.length === 0) throw new VectorTuneError('no example records given to start the head from.');
    const found = await store.fetch(spec.ids);
    const missing = spec.ids.filter((id) => !found.some((r) => r.id === id));
    if (missing.length > 0) {
      throw new VectorTuneError(
        `${missing.length} example id(s) are not in the store: ${missing
          .slice(0, 5)
          .map((m) => `"${m}"`)
          .join(', ')}${missing.length > 5 ? ', ...' : ''}.`,
        undefined,
        'Use ids as listed by the store (image paths relative to the workspace, or the CSV id column for imports).',
      );
    }
    const mean = new Array<number>(dimension).fill(0);
    for (const r of found) for (let i = 0; i < dimension; i++) mean[i] += r.vector[i] / found.length;
    return { kind: 'examples', ids: [...spec.ids], w: unit(mean), b: 0 };
  }
  const parent = await readWeights(spec.file);
  checkWeightsMatchStore(parent, store.info, spec.file);
  const bytes = await fs.readFile(spec.file);
  return { kind: 'weights', file: spec.file, sha256: sha256(bytes), w: parent.w, b: parent.b };
}

/** The start is a direction: unit length puts every start point on the same logit scale (cosine). */
function unit(v: number[]): number[] {
  const n = norm(v);
  if (n === 0) throw new VectorTuneError('the starting vector is zero; pick other examples or another prompt.');
  return v.map((x) => x / n);
}
