import type { AuditCheck, Checked, StopResult } from './loop-extras';
import type { Method } from './run';
import { spread } from './stats';
import { table } from './tables';

/** Per method, over seeds: the stop rule's firing point and each run's final AP (to express AP there as a share). */
export interface StopSummary {
  method: Method;
  runs: number;
  fired: number;
  labels: number | null;
  /** AP where it fired as a share of the run's AP at its budget: mean and min over the seeds where it fired. */
  apShare: number | null;
  apShareMin: number | null;
  /** Labels there as a share of the budget. */
}

export function summariseStops(method: Method, runs: { stop: StopResult; finalAp: number }[]): StopSummary {
  const fired = runs.filter((r) => r.stop.fired !== null);
  const shares = fired.map((r) => r.stop.fired!.ap / r.finalAp);
  return {
    method,
    runs: runs.length,
    fired: fired.length,
    labels: fired.length > 0 ? spread(fired.map((r) => r.stop.fired!.labels)).mean : null,
    apShare: shares.length > 0 ? spread(shares).mean : null,
    apShareMin: shares.length > 0 ? Math.min(...shares) : null,
  };
}

export function formatStops(task: string, rows: StopSummary[], budget: number): string {
  const lines = [
    `${task}: stop rule (Cohen's kappa > 0.99 between successive heads' decisions on 1,000 fixed pool records, 3 rounds running)`,
  ];
  const body = rows.map((s) => [
    s.method,
    `${s.fired}/${s.runs}`,
    s.labels === null ? '-' : s.labels.toFixed(0),
    s.apShare === null ? '-' : `${(100 * s.apShare).toFixed(1)}%`,
    s.apShareMin === null ? '-' : `${(100 * s.apShareMin).toFixed(1)}%`,
  ]);
  lines.push(
    ...table(['method', 'fired (seeds)', 'labels there (mean)', `AP there / AP @budget`, 'worst seed'], body).map(
      (l) => `  ${l}`,
    ),
  );
  lines.push(`  (AP @budget: each run's held-out AP at its own budget, ${budget} labels for the strategies.)`);
  return lines.join('\n');
}

/** Interval coverage: how often the truth of the whole pool lies inside the audit sample's 95% interval. */
export interface CoverageRow {
  quantity: keyof AuditCheck;
  checks: number;
  /** Draws where the estimate was defined (e.g. recall needs a positive in the sample). */
  defined: number;
  covered: number;
  meanWidth: number;
  meanEstimate: number;
  meanTruth: number;
}

export function coverage(checks: AuditCheck[]): CoverageRow[] {
  return (['prevalence', 'precision', 'recall', 'ap', 'apBootstrap'] as const).map((q) => {
    const all = checks.map((c) => c[q]);
    const ok = all.filter((c: Checked) => Number.isFinite(c.estimate) && Number.isFinite(c.truth));
    const inside = ok.filter((c) => c.low <= c.truth && c.truth <= c.high);
    const mean = (f: (c: Checked) => number) => (ok.length > 0 ? spread(ok.map(f)).mean : NaN);
    return {
      quantity: q,
      checks: all.length,
      defined: ok.length,
      covered: inside.length,
      meanWidth: mean((c) => c.high - c.low),
      meanEstimate: mean((c) => c.estimate),
      meanTruth: mean((c) => c.truth),
    };
  });
}

export function formatCoverage(task: string, rows: CoverageRow[], size: number, runs: number, draws: number): string {
  const lines = [
    `${task}: audit estimates vs the truth over the whole pool (final heads of ${runs} runs x ${draws} audit draws of ${size}; threshold logit 0; 95% intervals: Wilson; AP: logit (Boyd et al. 2013), apBootstrap: percentile bootstrap)`,
  ];
  const body = rows.map((r) => [
    r.quantity,
    `${r.defined}/${r.checks}`,
    r.defined > 0 ? `${((100 * r.covered) / r.defined).toFixed(1)}%` : '-',
    r.meanWidth.toFixed(3),
    r.meanEstimate.toFixed(3),
    r.meanTruth.toFixed(3),
  ]);
  lines.push(
    ...table(['quantity', 'defined', 'truth inside', 'mean width', 'mean estimate', 'mean truth'], body).map(
      (l) => `  ${l}`,
    ),
  );
  return lines.join('\n');
}
