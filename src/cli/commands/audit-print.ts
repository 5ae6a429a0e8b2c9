import type { AuditEstimates } from '../../core/audit/estimates';
import { formatCount, formatEstimate } from '../../core/audit/estimates';
import type { CliIo } from '../command';

/** The audit estimates as the CLI prints them: every figure an estimate, with its 95% interval and its counts. */
export function printAuditEstimates(e: AuditEstimates, io: CliIo, thresholdFrom?: string): void {
  io.out(
    `audit sample: ${e.scored} scored (${e.positives} positive)` +
      (e.unscored ? `, ${e.unscored} not scored yet` : '') +
      (e.unsure ? `, ${e.unsure} unsure (0)` : '') +
      `; collection ${e.collectionSize} records. Estimates with 95% intervals [low-high] (successes/trials):`,
  );
  const t = `logit > ${e.threshold.toFixed(4)}${thresholdFrom ? ` (${thresholdFrom})` : ''}`;
  const rows: [string, string][] = [
    ['prevalence', formatEstimate(e.prevalence)],
    ['positives in the collection', formatCount(e.collectionPositives)],
    [`precision at ${t}`, formatEstimate(e.precision)],
    [`recall at ${t}`, formatEstimate(e.recall)],
    ['average precision', formatEstimate(e.ap)],
  ];
  if (e.top)
    rows.push(
      [`positives in the head's top ${e.top.n}`, formatCount(e.top.positivesCaught)],
      [`share of all positives in the top ${e.top.n}`, formatEstimate(e.top.shareOfPositives)],
    );
  if (e.recallAtPrecision !== undefined) {
    const r = e.recallAtPrecision;
    rows.push([
      `recall at precision ${r.precision}`,
      r.recall
        ? `${formatEstimate(r.recall)} at logit > ${r.threshold!.toFixed(4)}`
        : 'no cut reaches it on the sample',
    ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, value] of rows) io.out(`  ${k.padEnd(width)}  ${value}`);
  if (e.trainedOn > 0)
    io.out(
      `  note: ${e.trainedOn} sample record(s) are also in labels.jsonl (labelled before the sample hid them): the head was trained on them, which flatters it a little.`,
    );
}
