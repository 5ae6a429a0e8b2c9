/**
 * Real-looking embeddings at any scale: the real MobileNetV2 features of ../shared/data/embeddings (3,781 clothing
 * photos and the 10,000 CIFAR-10 test images), each randomly projected from 1,280 to 512 dimensions and normalised,
 * then copied with seeded Gaussian noise up to any number of rows, each copy keeping its source's label. Unlike
 * Gaussian vectors, these have clusters (the classes, the copies of one photo) and a common direction (post-ReLU
 * features all lie in one orthant, and a projection keeps that): as CLIP embeddings do, they crowd a head's decision
 * boundary with rows, which is where an int8 bound is weakest.
 *
 * Row i is a function of i alone (its source, its noise), so any block of rows can be made on its own: a store of
 * 1M rows, and the same rows again as a .npy for the import benchmark.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpy } from '../../src/core/io/npy';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import type { VectorRecord } from '../../src/core/store/types';
import { sha256 } from '../../src/core/util/hash';
import { mixSeed, seededRandom } from '../../src/core/util/random';

export const CLUSTERED_DIMENSION = 512;
/** Noise norm of a copy against its (unit) source: copies of one photo are at cosine ~0.89 to it, ~0.8 to each other. */
const NOISE = 0.5;
const SEED = 14;
const SOURCE_DIMENSION = 1280;

const EMBEDDINGS = path.join(__dirname, '../../../shared/data/embeddings');
const SOURCES = [
  { name: 'clothing', npy: 'clothing-mobilenetv2.npy', csv: 'clothing-mobilenetv2.csv' },
  { name: 'cifar', npy: 'cifar10-test-mobilenetv2.npy', csv: 'cifar10-test-mobilenetv2.csv' },
];

export interface ClusteredSources {
  /** The projected, normalised real vectors (S x 512). */
  vectors: Float32Array;
  /** `clothing/hat`, `cifar/ship`, ... per source. */
  labels: string[];
}

/** Loads the real features and projects them (about 10 s the first time; cached as a .bin in `cacheDir`). */
export async function clusteredSources(cacheDir: string): Promise<ClusteredSources> {
  const labels: string[] = [];
  for (const s of SOURCES) {
    const file = path.join(EMBEDDINGS, s.csv);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: the clustered benchmark needs ../shared/data.`);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const labelAt = lines[0].split(',').indexOf('label');
    for (const line of lines.slice(1)) labels.push(`${s.name}/${line.split(',')[labelAt]}`);
  }
  const cached = path.join(cacheDir, `clustered-sources-${SEED}.bin`);
  if (fs.existsSync(cached) && fs.statSync(cached).size === labels.length * CLUSTERED_DIMENSION * 4) {
    const bytes = fs.readFileSync(cached);
    return { vectors: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice(), labels };
  }
  const projection = gaussianMatrix(SOURCE_DIMENSION * CLUSTERED_DIMENSION, seededRandom(SEED));
  const vectors = new Float32Array(labels.length * CLUSTERED_DIMENSION);
  let row = 0;
  for (const s of SOURCES) {
    const { data, shape } = await readNpy(path.join(EMBEDDINGS, s.npy));
    for (let r = 0; r < shape[0]; r++, row++) {
      const out = new Float64Array(CLUSTERED_DIMENSION);
      for (let i = 0; i < SOURCE_DIMENSION; i++) {
        const v = data[r * SOURCE_DIMENSION + i];
        if (v === 0) continue; // about half of post-ReLU features are exactly 0
        const p = i * CLUSTERED_DIMENSION;
        for (let j = 0; j < CLUSTERED_DIMENSION; j++) out[j] += v * projection[p + j];
      }
      normaliseInto(vectors, row * CLUSTERED_DIMENSION, out);
    }
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(cached, new Uint8Array(vectors.buffer));
  return { vectors, labels };
}

/** Noise values drawn once; a row reads them from a seeded offset with a seeded odd stride (cheap, and row-specific). */
const NOISE_TABLE_SIZE = 1 << 20;
let noiseTable: Float32Array | undefined;

/** Rows [start, start + count): vectors (count x 512, unit length) and each row's label. */
export function clusteredRows(
  sources: ClusteredSources,
  start: number,
  count: number,
): { vectors: Float32Array; labels: string[] } {
  const d = CLUSTERED_DIMENSION;
  noiseTable ??= gaussianMatrix(NOISE_TABLE_SIZE, seededRandom(SEED + 1));
  const table = noiseTable;
  const sourceCount = sources.labels.length;
  const vectors = new Float32Array(count * d);
  const labels: string[] = [];
  const sigma = NOISE / Math.sqrt(d);
  const v = new Float64Array(d);
  for (let i = 0; i < count; i++) {
    const random = seededRandom(mixSeed(SEED, start + i));
    const source = Math.floor(random() * sourceCount);
    let at = Math.floor(random() * NOISE_TABLE_SIZE);
    const stride = 2 * Math.floor(random() * 1000) + 1;
    for (let j = 0; j < d; j++) {
      v[j] = sources.vectors[source * d + j] + sigma * table[at];
      at = (at + stride) & (NOISE_TABLE_SIZE - 1);
    }
    normaliseInto(vectors, i * d, v);
    labels.push(sources.labels[source]);
  }
  return { vectors, labels };
}

function gaussianMatrix(size: number, random: () => number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return out;
}

function normaliseInto(target: Float32Array, offset: number, v: Float64Array): void {
  let n = 0;
  for (let j = 0; j < v.length; j++) n += v[j] * v[j];
  n = Math.sqrt(n);
  for (let j = 0; j < v.length; j++) target[offset + j] = v[j] / n;
}

/**
 * A store of `rows` clustered rows with realistic record metadata (a path-like id that names the row's class, a
 * content hash, size, mtime), built once into `cacheDir` and reused: 1M rows write 2 GB and take a few minutes.
 */
export async function clusteredStore(rows: number, cacheDir: string, log: (s: string) => void): Promise<string> {
  const dir = path.join(cacheDir, `clustered-${rows}`);
  if (await EmbeddedStore.exists(dir)) {
    const store = await EmbeddedStore.open(dir, undefined, 'read', { search: false });
    const count = await store.count();
    await store.close();
    if (count === rows) return dir;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  log(`building a clustered store of ${rows.toLocaleString('en')} rows in ${path.relative(process.cwd(), dir)} ...`);
  const sources = await clusteredSources(cacheDir);
  const store = await EmbeddedStore.openOrCreate(
    dir,
    { modelId: 'clustered/mobilenetv2-projected-512', dimension: CLUSTERED_DIMENSION },
    { search: false },
  );
  const block = 50_000;
  for (let start = 0; start < rows; start += block) {
    const n = Math.min(block, rows - start);
    const { vectors, labels } = clusteredRows(sources, start, n);
    const batch: VectorRecord[] = labels.map((label, i) => {
      const id = `photos/${label}/img_${String(start + i).padStart(8, '0')}.jpg`;
      const vector = vectors.subarray(i * CLUSTERED_DIMENSION, (i + 1) * CLUSTERED_DIMENSION);
      return {
        id,
        path: id,
        hash: sha256(id),
        size: 80_000 + ((start + i) % 50_000),
        mtimeMs: 1.7e12 + start + i,
        vector,
      };
    });
    await store.upsert(batch);
  }
  await store.close();
  return dir;
}

/** The class of a clustered store's record, from its id (`photos/<dataset>/<class>/img_<n>.jpg`). */
export function labelOfId(id: string): string {
  const [, dataset, label] = id.split('/');
  return `${dataset}/${label}`;
}
