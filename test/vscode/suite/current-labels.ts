import * as fs from 'node:fs/promises';

/**
 * A head's labels now, read from its labels.jsonl as the tests' own oracle: the latest line of each image, removals
 * left out (a relabel or a removal is a line too).
 */
export async function currentLabelsIn(file: string): Promise<{ id: string; score: number }[]> {
  const latest = new Map<string, { id: string; score: number; removed?: boolean }>();
  for (const line of (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean)) {
    const label = JSON.parse(line) as { id: string; score: number; removed?: boolean };
    latest.set(label.id, label);
  }
  return [...latest.values()].filter((l) => !l.removed);
}
