/**
 * The workspace the tuning and report scenarios start from: an embedded store of 300 real MobileNetV2 clothing
 * features (train split, 50 of them hats, centred on import as such features need), the truth for them, and
 * 150 held-out test rows as raw .npy + CSV for evaluation.
 */
import * as fs from 'node:fs/promises';
import { column, readCsv, toCsv } from '../../src/core/io/csv';
import { asMatrix, readNpy, writeNpy } from '../../src/core/io/npy';
import { importEmbeddings } from '../../src/core/ingest/import-embeddings';
import { seededRandom, shuffledIndices } from '../../src/core/util/random';
import { CLOTHING_CSV, CLOTHING_NPY } from '../helpers/clothing-features';
import { layout, MODEL_ID } from './job';

const STORE_ROWS = 300;
const TEST_ROWS = 150;

export async function buildClothingWorkspace(dir: string): Promise<void> {
  const l = layout(dir);
  await fs.mkdir(dir, { recursive: true });
  const matrix = asMatrix(await readNpy(CLOTHING_NPY), CLOTHING_NPY);
  const csv = await readCsv(CLOTHING_CSV);
  const paths = column(csv, 'path', CLOTHING_CSV);
  const split = column(csv, 'split', CLOTHING_CSV);
  const label = column(csv, 'label', CLOTHING_CSV);
  const random = seededRandom(7);
  const pick = (rows: number[], n: number, hatsFirst: boolean) => {
    const order = shuffledIndices(rows.length, random).map((i) => rows[i]);
    const hats = order.filter((r) => label[r] === 'hat');
    const chosen = hatsFirst ? [...hats.slice(0, n / 6), ...order.filter((r) => label[r] !== 'hat')] : order;
    return chosen.slice(0, n).sort((a, b) => a - b);
  };
  const train = pick(
    split.map((s, r) => (s === 'train' ? r : -1)).filter((r) => r >= 0),
    STORE_ROWS,
    true,
  );
  const test = pick(
    split.map((s, r) => (s === 'test' ? r : -1)).filter((r) => r >= 0),
    TEST_ROWS,
    false,
  );
  const rowsOf = (rows: number[]) => {
    const out = new Float32Array(rows.length * matrix.dim);
    rows.forEach((r, i) => out.set(matrix.data.subarray(r * matrix.dim, (r + 1) * matrix.dim), i * matrix.dim));
    return out;
  };

  const trainNpy = l.npy('train');
  await writeNpy(trainNpy, train.length, matrix.dim, rowsOf(train));
  await fs.writeFile(
    l.csv('train'),
    toCsv(
      ['id', 'path'],
      train.map((r) => [paths[r], paths[r]]),
    ),
  );
  await importEmbeddings({
    npyFile: trainNpy,
    csvFile: l.csv('train'),
    storeDir: l.store,
    modelId: MODEL_ID,
    idColumn: 'id',
    pathColumn: 'path',
    centre: true,
  });
  await fs.writeFile(
    l.answers,
    toCsv(
      ['id', 'label'],
      [...train, ...test].map((r) => [paths[r], label[r]]),
    ),
  );
  await writeNpy(l.testNpy, test.length, matrix.dim, rowsOf(test));
  await fs.writeFile(
    l.testCsv,
    toCsv(
      ['id', 'split', 'label'],
      test.map((r) => [paths[r], split[r], label[r]]),
    ),
  );
}
