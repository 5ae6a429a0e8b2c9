import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { importEmbeddings } from '../../src/core/ingest/import-embeddings';
import { column, readCsv, toCsv } from '../../src/core/io/csv';
import { asMatrix, readNpy } from '../../src/core/io/npy';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { seededRandom, shuffledIndices } from '../../src/core/util/random';

/**
 * The benchmark's tasks: a rare class, a pool the loop labels from (imported into a real EmbeddedStore,
 * centred + L2 like the e2e test), and a held-out split kept as RAW embeddings, scored with the head's own
 * preprocessing (logitsOfRaw) exactly as a user's committed head would be.
 */
export interface Task {
  /** e.g. "clothing/hat". */
  name: string;
  positive: string;
  store: EmbeddedStore;
  /** Every pool id, in store order, and the positive ones. */
  poolIds: string[];
  poolPositives: Set<string>;
  held: { data: Float32Array; rows: number; truth: boolean[]; positives: number };
  /** How the task was built, for the report. */
  description: string;
}

export const EMBEDDINGS = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'embeddings');
const CLOTHING = {
  npy: path.join(EMBEDDINGS, 'clothing-mobilenetv2.npy'),
  csv: path.join(EMBEDDINGS, 'clothing-mobilenetv2.csv'),
};
const CIFAR = {
  npy: path.join(EMBEDDINGS, 'cifar10-test-mobilenetv2.npy'),
  csv: path.join(EMBEDDINGS, 'cifar10-test-mobilenetv2.csv'),
};

/** Fixed, so the CIFAR pool/held-out split (and so the full-supervision reference) is one for every run seed. */
const CIFAR_SPLIT_SEED = 20240611;

interface Table {
  ids: string[];
  rows: number[];
  labels: string[];
  parts: string[];
  data: Float32Array;
  dim: number;
  csvFile: string;
}

/**
 * Clothing: the train split is the pool, the test split (372 images, 12 of each rare class) is held out.
 * `heldSplits` 'validation+test' doubles the held-out (26 hats, 24 skirts) for lower-noise comparisons.
 */
export type ClothingHeldOut = 'test' | 'validation+test';

export async function clothingTasks(
  workDir: string,
  classes: string[],
  heldSplits: ClothingHeldOut = 'test',
): Promise<Task[]> {
  const t = await loadTable(CLOTHING.npy, CLOTHING.csv, (csv) => column(csv, 'split', CLOTHING.csv));
  const storeDir = path.join(workDir, 'clothing-store');
  await importEmbeddings({
    npyFile: CLOTHING.npy,
    csvFile: CLOTHING.csv,
    storeDir,
    modelId: 'nsfwjs-mobilenetv2',
    idColumn: 'path',
    rowColumn: 'row',
    where: [{ column: 'split', value: 'train' }],
    centre: true,
  });
  const store = await EmbeddedStore.open(storeDir);
  if (heldSplits === 'validation+test') t.parts = t.parts.map((p) => (p === 'validation' ? 'test' : p));
  return classes.map((positive) =>
    buildTask(
      `clothing/${positive}`,
      positive,
      store,
      t,
      'train',
      'test',
      `pool = train split, held-out = ${heldSplits} split${heldSplits === 'test' ? '' : 's'} (natural rates)`,
    ),
  );
}

/**
 * CIFAR-10 test set: a seeded half/half split into pool and held-out, then `positive` is subsampled in the
 * pool to `rate` (e.g. 1% ship). The held-out half keeps its natural rate (10%): the rarity that costs labels
 * lives in the pool; the held-out only measures ranking quality, and 500 positives give a far steadier AP
 * than the ~50 a 1% held-out would (every strategy and the reference are measured on the same set).
 */
export async function cifarTask(workDir: string, positive: string, rate: number): Promise<Task> {
  let parts: string[] = [];
  const t = await loadTable(CIFAR.npy, CIFAR.csv, (csv) => {
    const labels = column(csv, 'label', CIFAR.csv);
    parts = splitCifar(labels, positive, rate);
    return parts;
  });
  // The importer filters on a CSV column, so write the split as one (a derived CSV in the temp folder).
  const csvFile = path.join(workDir, 'cifar10-split.csv');
  await fs.writeFile(
    csvFile,
    toCsv(
      ['row', 'path', 'label', 'part'],
      t.ids.map((id, i) => [String(t.rows[i]), id, t.labels[i], parts[i]]),
    ),
  );
  const storeDir = path.join(workDir, `cifar10-${positive}-store`);
  await importEmbeddings({
    npyFile: CIFAR.npy,
    csvFile,
    storeDir,
    modelId: 'nsfwjs-mobilenetv2',
    idColumn: 'path',
    rowColumn: 'row',
    where: [{ column: 'part', value: 'pool' }],
    centre: true,
  });
  const store = await EmbeddedStore.open(storeDir);
  const pct = `${+(rate * 100).toFixed(2)}%`;
  return buildTask(
    `cifar10/${positive}`,
    positive,
    store,
    t,
    'pool',
    'held',
    `seeded 50/50 split of the 10,000; ${positive} subsampled to ${pct} of the pool; held-out half at its natural rate`,
  );
}

/** Part of each CSV line: "pool", "held" or "dropped" (a pool positive left out to make the class rare). */
function splitCifar(labels: string[], positive: string, rate: number): string[] {
  const random = seededRandom(CIFAR_SPLIT_SEED);
  const order = shuffledIndices(labels.length, random);
  const parts = new Array<string>(labels.length);
  order.forEach((row, i) => (parts[row] = i < labels.length / 2 ? 'pool' : 'held'));
  const poolRows = order.slice(0, labels.length / 2);
  const negatives = poolRows.filter((r) => labels[r] !== positive).length;
  const keep = Math.round((negatives * rate) / (1 - rate));
  const poolPositives = poolRows.filter((r) => labels[r] === positive);
  shuffledIndices(poolPositives.length, random)
    .slice(keep)
    .forEach((i) => (parts[poolPositives[i]] = 'dropped'));
  return parts;
}

async function loadTable(
  npy: string,
  csvFile: string,
  partsOf: (csv: Awaited<ReturnType<typeof readCsv>>) => string[],
): Promise<Table> {
  const matrix = asMatrix(await readNpy(npy), npy);
  const csv = await readCsv(csvFile);
  return {
    ids: column(csv, 'path', csvFile),
    rows: column(csv, 'row', csvFile).map(Number),
    labels: column(csv, 'label', csvFile),
    parts: partsOf(csv),
    data: matrix.data,
    dim: matrix.dim,
    csvFile,
  };
}

function buildTask(
  name: string,
  positive: string,
  store: EmbeddedStore,
  t: Table,
  poolPart: string,
  heldPart: string,
  how: string,
): Task {
  const poolIds = store.allRecords().map((r) => r.id);
  const labelOf = new Map(t.ids.map((id, i) => [id, t.labels[i]]));
  const poolPositives = new Set(poolIds.filter((id) => labelOf.get(id) === positive));
  const heldLines = t.ids.map((_, i) => i).filter((i) => t.parts[i] === heldPart);
  const data = new Float32Array(heldLines.length * t.dim);
  heldLines.forEach((line, i) =>
    data.set(t.data.subarray(t.rows[line] * t.dim, (t.rows[line] + 1) * t.dim), i * t.dim),
  );
  const truth = heldLines.map((line) => t.labels[line] === positive);
  const positives = truth.filter(Boolean).length;
  if (poolIds.length !== t.parts.filter((p) => p === poolPart).length)
    throw new Error(`${name}: the store does not hold the whole pool`);
  const rate = (n: number, of: number) => `${n}/${of} = ${((100 * n) / of).toFixed(1)}%`;
  return {
    name,
    positive,
    store,
    poolIds,
    poolPositives,
    held: { data, rows: heldLines.length, truth, positives },
    description: `${how}; pool ${rate(poolPositives.size, poolIds.length)} ${positive}, held-out ${rate(positives, heldLines.length)}`,
  };
}
