import * as fs from 'node:fs/promises';
import { column, readCsv } from '../../src/core/io/csv';
import { asMatrix, readNpy, Matrix } from '../../src/core/io/npy';
import { sharedData } from './temp';

export const CLOTHING_NPY = sharedData('embeddings', 'clothing-mobilenetv2.npy');
export const CLOTHING_CSV = sharedData('embeddings', 'clothing-mobilenetv2.csv');

export interface ClothingFeatures {
  matrix: Matrix;
  label: string[];
  /** Matrix rows of the train split. */
  train: number[];
  /** Mean of the train rows: post-ReLU features need centring before normalising. */
  centre: number[];
  /** Row `r` centred on the train mean and L2-normalised. */
  readonly unitRow: (r: number) => number[];
}

/** The real MobileNetV2 clothing features (../shared/data/embeddings), with the train split's mean. */
export async function loadClothingFeatures(): Promise<ClothingFeatures> {
  const matrix = asMatrix(await readNpy(CLOTHING_NPY), CLOTHING_NPY);
  const csv = await readCsv(CLOTHING_CSV);
  const split = column(csv, 'split', CLOTHING_CSV);
  const label = column(csv, 'label', CLOTHING_CSV);
  const { dim, data } = matrix;
  const train = split.map((s, r) => (s === 'train' ? r : -1)).filter((r) => r >= 0);
  const centre = new Array<number>(dim).fill(0);
  for (const r of train) for (let i = 0; i < dim; i++) centre[i] += data[r * dim + i] / train.length;
  const unitRow = (r: number) => {
    const x = centre.map((c, i) => data[r * dim + i] - c);
    const n = Math.hypot(...x);
    return x.map((v) => v / n);
  };
  return { matrix, label, train, centre, unitRow };
}

/** CLI arguments: import the clothing train split, centred (post-ReLU MobileNetV2 features need it). */
export const IMPORT_CLOTHING_TRAIN = [
  'import',
  CLOTHING_NPY,
  '--csv',
  CLOTHING_CSV,
  '--model-id',
  'nsfwjs-mobilenetv2',
  '--where',
  'split=train',
  '--centre',
];

/** CLI arguments: tune the "hat" head with the clothing labels as a simulated labeller, then any `more`. */
export function tuneHatArgs(...more: string[]): string[] {
  return ['tune', 'hat', '--answers', CLOTHING_CSV, '--label-column', 'label', '--positive', 'hat', ...more];
}

/** The ids of the first `n` hats of the train split, in file order: the examples the CLI tests start a head from. */
export async function trainHats(n = 3): Promise<string[]> {
  const lines = (await fs.readFile(CLOTHING_CSV, 'utf8')).split('\n');
  return lines
    .filter((l) => l.includes(',train,hat'))
    .slice(0, n)
    .map((l) => l.split(',')[1]);
}

/** CLI arguments: rank the clothing test split with the "hat" head, measured against its labels, every record. */
export const RANK_HAT_ON_TEST_SPLIT = [
  'rank',
  'hat',
  '--npy',
  CLOTHING_NPY,
  '--csv',
  CLOTHING_CSV,
  '--where',
  'split=test',
  '--answers',
  CLOTHING_CSV,
  '--label-column',
  'label',
  '--positive',
  'hat',
  '--top',
  '0',
];
