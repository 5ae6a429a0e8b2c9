import type { ProblemKind } from './scenario';
import type { TrialResult } from './trial';

const KINDS: ProblemKind[] = ['lost', 'torn', 'mismatch', 'error'];

/**
 * The printed table (per scenario: trials, runs killed, failed trials, problems by kind, known issues hit) and the
 * failures in detail.
 */
export function summarise(results: TrialResult[], scenarios: string[], seconds: number, seed: number) {
  const rows = scenarios.map((name) => {
    const mine = results.filter((r) => r.scenario === name);
    const count = (kind: ProblemKind) => mine.reduce((n, r) => n + r.problems.filter((p) => p.kind === kind).length, 0);
    const known = mine.reduce((n, r) => n + r.known.length, 0);
    return [
      name,
      mine.length,
      mine.reduce((n, r) => n + r.kills, 0),
      mine.filter((r) => r.problems.length > 0).length,
      ...KINDS.map(count),
      known,
    ];
  });
  const total = ['all', ...rows[0].slice(1).map((_, i) => rows.reduce((n, r) => n + (r[i + 1] as number), 0))];
  const header = ['scenario', 'trials', 'kills', 'failed', 'lost', 'torn', 'mismatch', 'error', 'known'];
  const table = [header, ...rows, total].map((r) =>
    r
      .map((c, i) =>
        String(c)
          .padStart(i === 0 ? 0 : 8)
          .padEnd(i === 0 ? 9 : 0),
      )
      .join(' '),
  );
  const labelsLost = results.flatMap((r) => r.problems).reduce((n, p) => n + (p.labels ?? 0), 0);
  const failed = results.filter((r) => r.problems.length > 0);
  const failures = failed.length;
  const text = [
    `crash faults (seed ${seed}): ${results.length} trials in ${seconds.toFixed(1)} s`,
    ...table,
    `labels lost: ${labelsLost}; torn files or records: ${total[5]}; resumed-result mismatches: ${total[6]}; failed trials: ${failures}; ` +
      `known issues hit (todo, see known-issues.ts): ${total[8]}`,
  ].join('\n');
  const failureText = failed
    .slice(0, 25)
    .map(
      (r) =>
        `${r.scenario} trial ${r.trial} (${r.plan}${r.killedAt.length ? `; killed at ${r.killedAt.join(', ')}` : ''}):\n  ${r.problems.map((p) => `[${p.kind}] ${p.message}`).join('\n  ')}`,
    )
    .join('\n');
  return { text, failures, failureText: `${failures} of ${results.length} trials failed:\n${failureText}` };
}
