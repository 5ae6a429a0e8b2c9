/**
 * Before/after: two results.json files of the benchmark side by side (same classes, seeds and budgets),
 * e.g. the engine's old defaults (--set ...) against the new ones.
 *
 *   npx tsx bench/label-efficiency/compare.ts before/results.json after/results.json
 */
import * as fs from 'node:fs/promises';
import type { TaskResult } from './stats';
import { TARGETS } from './stats';
import { ratioCell, table } from './tables';

interface Results {
  options: { settings: Record<string, unknown> };
  results: TaskResult[];
}

async function main(): Promise<void> {
  const [beforeFile, afterFile] = process.argv.slice(2);
  if (!afterFile) throw new Error('usage: compare.ts before/results.json after/results.json');
  const before = JSON.parse(await fs.readFile(beforeFile, 'utf8')) as Results;
  const after = JSON.parse(await fs.readFile(afterFile, 'utf8')) as Results;
  console.log(
    `before: ${JSON.stringify(before.options.settings)}\nafter:  ${JSON.stringify(after.options.settings)}\n`,
  );
  for (const a of after.results) {
    const b = before.results.find((r) => r.task === a.task);
    if (!b) continue;
    console.log(`${a.task}: full-supervision AP ${b.full.ap.toFixed(3)} -> ${a.full.ap.toFixed(3)}`);
    const rows = a.summaries.map((sa) => {
      const sb = b.summaries.find((s) => s.method === sa.method)!;
      const reach = (s: typeof sa, i: number) =>
        `${s.reach[i].meanReached === null ? '-' : s.reach[i].meanReached.toFixed(0)} (${s.reach[i].reached})`;
      return [
        sa.method,
        ...TARGETS.map((_, i) => `${reach(sb, i)} -> ${reach(sa, i)}`),
        `${ratioCell(sb.ratio[0]) || '-'} -> ${ratioCell(sa.ratio[0]) || '-'}`,
        `${sb.apAtCommonBudget.mean.toFixed(3)} -> ${sa.apAtCommonBudget.mean.toFixed(3)}`,
        `${meanArea(b, sb.method).toFixed(3)} -> ${meanArea(a, sa.method).toFixed(3)}`,
      ];
    });
    const header = [
      'method',
      ...TARGETS.map((f) => `labels to ${Math.round(f * 100)}% (seeds)`),
      '90% vs random',
      `AP @${a.commonBudget}`,
      'mean AP over rounds',
    ];
    console.log(
      table(header, rows)
        .map((l) => `  ${l}`)
        .join('\n') + '\n',
    );
  }
  console.log(
    "Labels to 90%/95% are relative to each run's own full-supervision AP (the reference moves with the settings).",
  );
  console.log(
    `"mean AP over rounds": held-out AP averaged over the rounds up to ${after.results[0]?.commonBudget ?? 0} labels and over seeds: the area under the learning curve, on an absolute scale.`,
  );
}

/** AP averaged over the rounds up to the common budget and over seeds: one number per curve, no reference needed. */
function meanArea(r: TaskResult, method: string): number {
  const curves = r.curves[method as keyof TaskResult['curves']];
  const per = curves.map((c) => {
    const pts = c.slice(1).filter((p) => p.labels <= r.commonBudget);
    return pts.reduce((s, p) => s + p.ap, 0) / pts.length;
  });
  return per.reduce((s, v) => s + v, 0) / per.length;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
