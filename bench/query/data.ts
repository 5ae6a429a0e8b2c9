import * as fs from 'node:fs';
import * as path from 'node:path';
import { asMatrix, readNpy } from '../../src/core/io/npy';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import type { VectorRecord } from '../../src/core/store/types';
import { VectorFile } from '../../src/core/store/vector-file';
import { seededRandom } from '../../src/core/util/random';
import { centreAndNormalise, meanOfRows } from '../../src/core/vector';

export const DIMENSION = 512;
export const CACHE = path.join(__dirname, '../../bench-results/query/cache');
export const CIFAR_NPY = path.join(__dirname, '../../../shared/data/embeddings/cifar10-test-mobilenetv2.npy');
export const CIFAR_CSV = path.join(__dirname, '../../../shared/data/embeddings/cifar10-test-mobilenetv2.csv');

/**
 * A synthetic store of `rows` seeded, normalised 512-d vectors with realistic record metadata (a path-like id, a
 * content hash, size, mtime), built once and cached: building 1M rows writes 2 GB and takes about a minute.
 */
export async function syntheticStore(rows: number, log: (s: string) => void): Promise<string> {
  const dir = path.join(CACHE, `synthetic-${rows}`);
  if (await EmbeddedStore.exists(dir)) {
    const store = await EmbeddedStore.open(dir, undefined, 'read', { search: false });
    const count = await store.count();
    await store.close();
    if (count === rows) return dir;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  log(`building a synthetic store of ${rows.toLocaleString('en')} rows in ${path.relative(process.cwd(), dir)} ...`);
  const store = await EmbeddedStore.openOrCreate(
    dir,
    { modelId: 'synthetic/unit-gaussian-512', dimension: DIMENSION },
    { search: false },
  );
  const random = seededRandom(rows);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const block = 50_000;
  for (let start = 0; start < rows; start += block) {
    const n = Math.min(block, rows - start);
    const batch: VectorRecord[] = [];
    for (let i = 0; i < n; i++) {
      const v = new Float32Array(DIMENSION).map(gaussian);
      const id = `photos/${String((start + i) % 1000).padStart(3, '0')}/img_${String(start + i).padStart(8, '0')}.jpg`;
      batch.push({
        id,
        path: id,
        hash: (start + i).toString(16).padStart(64, '0'),
        size: 100_000 + i,
        mtimeMs: 1.7e12 + i,
        vector: centreAndNormalise(v, null),
      });
    }
    await store.upsert(batch);
  }
  await store.close();
  return dir;
}

/** The real CIFAR-10 test embeddings (10,000 x 1,280, MobileNetV2 features), centred and normalised, as a store. */
export async function cifarStore(): Promise<{ dir: string; labels: string[] }> {
  const dir = path.join(CACHE, 'cifar10-test');
  const labels = fs
    .readFileSync(CIFAR_CSV, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[2]);
  if (await EmbeddedStore.exists(dir)) return { dir, labels };
  const m = asMatrix(await readNpy(CIFAR_NPY), CIFAR_NPY);
  const mean = meanOfRows(m.data, m.rows, m.dim);
  const store = await EmbeddedStore.openOrCreate(dir, {
    modelId: 'mobilenetv2/cifar10',
    dimension: m.dim,
    centringMean: mean,
  });
  const records: VectorRecord[] = [];
  for (let r = 0; r < m.rows; r++)
    records.push({ id: `cifar/${r}`, vector: centreAndNormalise(m.data.slice(r * m.dim, (r + 1) * m.dim), mean) });
  await store.upsert(records);
  await store.close();
  return { dir, labels };
}

/** Every vector of a store's file, in row order, for the baselines (which need float32 in memory). */
export function readAllVectors(dir: string, rows: number, dimension: number): Float32Array {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const file = new VectorFile(path.join(dir, `vectors-${manifest.generation}.f32`), dimension);
  const all = new Float32Array(rows * dimension);
  for (const { start, vectors } of file.chunks(rows)) all.set(vectors, start * dimension);
  file.close();
  return all;
}

/** Seeded rows to mark seen (about `share` of them), the same for every method. */
export function seenRows(rows: number, share: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return new Uint8Array(rows).map(() => (random() < share ? 1 : 0));
}

/** Query heads: random directions (synthetic) or, on real data, class-mean minus overall-mean heads. */
export function randomHeads(count: number, dimension: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    centreAndNormalise(
      new Float32Array(dimension).map(() => random() - 0.5),
      null,
    ).map((x) => x * 8),
  );
}

export function classHeads(vectors: Float32Array, dimension: number, labels: string[]): Float32Array[] {
  const classes = [...new Set(labels)];
  return classes.map((c) => {
    const w = new Float32Array(dimension);
    labels.forEach((l, r) => {
      const sign = l === c ? 1 / 1000 : -1 / 9000;
      for (let j = 0; j < dimension; j++) w[j] += sign * vectors[r * dimension + j];
    });
    return centreAndNormalise(w, null).map((x) => x * 8);
  });
}
