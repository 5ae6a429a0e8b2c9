import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ImageEmbedder } from '../../src/core/embed/encoder';
import { rankFolder } from '../../src/core/eval/rank';
import { readWeights } from '../../src/core/head/weights-file';
import { generateClipModel } from '../../tools/generate-model/generate';
import { cliOk } from './cli';
import { REPO_ROOT } from './temp';

const SAMPLES = path.join(REPO_ROOT, 'samples', 'clothing');
export const TRAINED_HEADS = ['hat', 'skirt', 'shoes'];

/**
 * A workspace as a user would have it after some tuning, made through the CLI: the 48 sample photos in
 * `images/<class>/` indexed with a generated CLIP (in `<dir>/model`), heads hat and skirt started from prompts
 * and shoes from two example photos, each tuned 3 rounds against the samples' labels, and a report of hat's
 * current weights (eval on the class folders).
 */
export async function makeTrainedHeads(dir: string): Promise<{ ws: string; modelDir: string }> {
  const modelDir = path.join(dir, 'model');
  const ws = path.join(dir, 'ws');
  await generateClipModel(modelDir);
  await fs.cp(path.join(SAMPLES, 'images'), path.join(ws, 'images'), { recursive: true });
  const model = ['--model', modelDir];
  cliOk(ws, 'index', 'images', ...model);
  cliOk(ws, 'start', 'hat', '--prompt', 'a photo of a hat', ...model);
  cliOk(ws, 'start', 'skirt', '--prompt', 'a skirt', ...model);
  const shoes = (await fs.readdir(path.join(ws, 'images', 'shoes'))).sort().slice(0, 2);
  cliOk(ws, 'start', 'shoes', '--examples', shoes.map((f) => `images/shoes/${f}`).join(','));
  for (const head of TRAINED_HEADS) {
    const answers = ['--answers', path.join(SAMPLES, 'labels.csv'), '--label-column', 'label', '--positive', head];
    cliOk(ws, 'tune', head, ...answers, '--rounds', '3', '--batch', '6');
  }
  cliOk(ws, 'eval', 'hat', '--folder', 'images', '--positive', 'hat', ...model);
  return { ws, modelDir };
}

/** The engine's own logit of each head for every image of `folder` (what `rank --folder` computes), by id. */
export async function engineLogits(
  ws: string,
  folder: string,
  embedder: ImageEmbedder,
  heads = TRAINED_HEADS,
): Promise<Map<string, Map<string, number>>> {
  const logits = new Map<string, Map<string, number>>();
  for (const head of heads) {
    const weights = await readWeights(path.join(ws, 'vectortune', 'heads', head, 'classifier.weights.json'));
    const { ranked } = await rankFolder(weights, folder, ws, embedder);
    assert.ok(ranked.length > 0);
    for (const r of ranked) logits.set(r.id, (logits.get(r.id) ?? new Map<string, number>()).set(head, r.logit));
  }
  return logits;
}
