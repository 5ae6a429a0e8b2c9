import * as fs from 'node:fs/promises';
import { sharedData } from './temp';

/** The real clothing MobileNetV2 features (../shared/data/embeddings) and the CSV naming their rows. */
export const CLOTHING_HEADS_NPY = sharedData('embeddings', 'clothing-mobilenetv2.npy');
export const CLOTHING_HEADS_CSV = sharedData('embeddings', 'clothing-mobilenetv2.csv');

/** Runs one vector-tune command (the repository's build, or an installed package) and returns its stdout. */
export type VectorTune = (...args: string[]) => string;

/**
 * Heads as a user makes them from the clothing features: the train split imported with --centre, then per head
 * (named after its class) a start from three train photos of the class and `rounds` rounds of 10 scored from the
 * CSV's labels. The held-out data is the test split (372 rows, 12 hats).
 */
export async function trainClothingHeads(vectorTune: VectorTune, heads: string[], rounds: number): Promise<void> {
  const [npy, csv] = [CLOTHING_HEADS_NPY, CLOTHING_HEADS_CSV];
  vectorTune('import', npy, '--csv', csv, '--model-id', 'nsfwjs-mobilenetv2', '--where', 'split=train', '--centre');
  const lines = (await fs.readFile(csv, 'utf8')).split('\n');
  for (const head of heads) {
    const examples = lines.filter((l) => l.endsWith(`,train,${head}`)).slice(0, 3);
    vectorTune('start', head, '--examples', examples.map((l) => l.split(',')[1]).join(','));
    const answers = ['--answers', csv, '--label-column', 'label', '--positive', head];
    vectorTune('tune', head, ...answers, '--rounds', String(rounds), '--batch', '10');
  }
}
