import type { AuditEstimates } from './estimates';
import type { Estimate } from './intervals';

/**
 * The audit estimates as an evaluation report carries them (`eval --audit`): plain JSON (undefined figures are
 * null), with where they came from, and the CI gates on them.
 */
export interface ReportEstimate {
  value: number | null;
  low: number | null;
  high: number | null;
  successes?: number;
  trials?: number;
}

export interface AuditReport {
  /** The sample file, relative to the head folder, and how it was drawn. */
  file: string;
  seed: number;
  sampleSize: number;
  scored: number;
  positives: number;
  unscored: number;
  unsure: number;
  trainedOn: number;
  collectionSize: number;
  threshold: number;
  thresholdFrom: string;
  prevalence: ReportEstimate;
  collectionPositives: ReportEstimate;
  precision: ReportEstimate;
  recall: ReportEstimate;
  ap: ReportEstimate;
  top: { n: number; positivesCaught: ReportEstimate; shareOfPositives: ReportEstimate } | null;
  recallAtPrecision: { precision: number; recall: ReportEstimate | null; threshold: number | null } | null;
}

const num = (x: number) => (Number.isFinite(x) ? x : null);
function plain(e: Estimate): ReportEstimate {
  const out: ReportEstimate = { value: num(e.value), low: num(e.low), high: num(e.high) };
  if (e.trials !== undefined) Object.assign(out, { successes: e.successes, trials: e.trials });
  return out;
}

export function auditReportOf(
  e: AuditEstimates,
  source: { file: string; seed: number; sampleSize: number; thresholdFrom: string },
): AuditReport {
  return {
    ...source,
    scored: e.scored,
    positives: e.positives,
    unscored: e.unscored,
    unsure: e.unsure,
    trainedOn: e.trainedOn,
    collectionSize: e.collectionSize,
    threshold: e.threshold,
    prevalence: plain(e.prevalence),
    collectionPositives: plain(e.collectionPositives),
    precision: plain(e.precision),
    recall: plain(e.recall),
    ap: plain(e.ap),
    top: e.top
      ? { n: e.top.n, positivesCaught: plain(e.top.positivesCaught), shareOfPositives: plain(e.top.shareOfPositives) }
      : null,
    recallAtPrecision: e.recallAtPrecision
      ? {
          precision: e.recallAtPrecision.precision,
          threshold: e.recallAtPrecision.threshold,
          recall: e.recallAtPrecision.recall && plain(e.recallAtPrecision.recall),
        }
      : null,
  };
}

/** The report's section: a table of estimates, each with its interval and the counts behind it. */
export function auditMarkdown(a: AuditReport): string[] {
  const share = (e: ReportEstimate) =>
    e.value === null
      ? ['n/a', '', e.trials !== undefined ? `${e.successes}/${e.trials}` : '']
      : [
          e.value.toFixed(3),
          `${e.low!.toFixed(3)}–${e.high!.toFixed(3)}`,
          e.trials !== undefined ? `${e.successes}/${e.trials}` : '',
        ];
  const count = (e: ReportEstimate) =>
    e.value === null
      ? ['n/a', '', '']
      : [String(Math.round(e.value)), `${Math.round(e.low!)}–${Math.round(e.high!)}`, ''];
  const t = `logit > ${a.threshold.toFixed(4)}`;
  const rows: [string, string[]][] = [
    ['prevalence', share(a.prevalence)],
    [`positives in the collection (${a.collectionSize} records)`, count(a.collectionPositives)],
    [`precision at ${t}`, share(a.precision)],
    [`recall at ${t}`, share(a.recall)],
    ['average precision', share(a.ap)],
  ];
  if (a.top)
    rows.push(
      [`positives in the head's top ${a.top.n}`, count(a.top.positivesCaught)],
      [`share of all positives in the top ${a.top.n}`, share(a.top.shareOfPositives)],
    );
  if (a.recallAtPrecision) {
    const r = a.recallAtPrecision;
    rows.push([
      `recall at precision ${r.precision}${r.threshold !== null ? ` (logit > ${r.threshold.toFixed(4)})` : ''}`,
      r.recall ? share(r.recall) : ['not reached', '', ''],
    ]);
  }
  const lines = [
    '## Audit estimates',
    '',
    `Estimates from the audit sample (\`${a.file}\`, ${a.sampleSize} records drawn uniformly at random with seed ${a.seed}; ` +
      `${a.scored} scored, ${a.positives} positive${a.unscored ? `, ${a.unscored} not scored yet` : ''}${a.unsure ? `, ${a.unsure} unsure` : ''}). ` +
      `Threshold: ${a.thresholdFrom}. Intervals are 95%: Wilson for proportions, the logit interval of Boyd et al. (2013) for AP.`,
    '',
    '| estimate | value | 95% interval | from |',
    '|---|---:|---:|---:|',
    ...rows.map(([k, [v, i, f]]) => `| ${k} | ${v} | ${i} | ${f} |`),
    '',
  ];
  if (a.trainedOn > 0)
    lines.push(`_${a.trainedOn} sample records are also training labels, which flatters the head a little._`, '');
  return lines;
}

export interface AuditGates {
  /** Fail when the audit AP (point estimate) is below this. */
  minAuditAp?: number;
  /** Fail when the recall reachable at `precision` on the audit sample is below `recall`. */
  minRecallAtPrecision?: { recall: number; precision: number };
}

/** Gate failures, each in a sentence. No audit (or a figure it cannot give) fails the gate, as other gates do. */
export function auditGateFailures(a: AuditReport | null, gates: AuditGates): string[] {
  const failures: string[] = [];
  if (gates.minAuditAp !== undefined) {
    const ap = a?.ap.value ?? null;
    if (ap === null || ap < gates.minAuditAp)
      failures.push(
        `audit AP ${ap === null ? 'could not be estimated (no scored positive in the audit sample)' : `${ap.toFixed(4)} (95% interval ${a!.ap.low!.toFixed(4)}-${a!.ap.high!.toFixed(4)})`} is below the minimum ${gates.minAuditAp}`,
      );
  }
  const g = gates.minRecallAtPrecision;
  if (g) {
    const r = a?.recallAtPrecision?.precision === g.precision ? a.recallAtPrecision : null;
    const recall = r?.recall?.value ?? null;
    if (recall === null || recall < g.recall)
      failures.push(
        `audit recall at precision ${g.precision} ${recall === null ? 'is not reached on the audit sample' : `is ${recall.toFixed(4)}`}, below the minimum ${g.recall}`,
      );
  }
  return failures;
}
