import type { AuditGates } from '../../core/audit/audit-report';
import { auditReportForHead } from '../../core/audit/audit-head';
import type { EvaluationData } from '../../core/eval/evaluation-data';
import type { HeadWeights } from '../../core/head/weights-file';
import { CliIo, numberOption, OptionSpec, UsageError, wholeNumber } from '../command';
import { openCliStore, type StoreValues } from '../store-context';

/** `eval`'s options for the audit sample's estimates and their CI gates. */
export const evalAuditOptions = {
  audit: {
    type: 'boolean',
    description: "Add the head's audit estimates (vector-tune audit) to the report, from the store's vectors.",
  },
  'audit-top': { type: 'string', description: "With --audit: estimate what the head's top N catch.", default: '100' },
  'min-audit-ap': {
    type: 'string',
    description: 'Fail (exit 1) when the audit AP estimate is below this (implies --audit).',
  },
  'min-recall-at-precision': {
    type: 'string',
    description: 'R@P: fail (exit 1) when the audit recall at precision P is below R, e.g. 0.5@0.9 (implies --audit).',
  },
} satisfies Record<string, OptionSpec>;

export interface EvalAuditValues {
  audit: boolean;
  'audit-top'?: string;
  'min-audit-ap'?: string;
  'min-recall-at-precision'?: string;
}

/** The gates asked for, and whether the audit is needed at all. */
export function auditGatesOf(v: EvalAuditValues): { wanted: boolean; gates: AuditGates; atPrecision: number } {
  const gates: AuditGates = {
    minAuditAp: numberOption(v['min-audit-ap'], 'min-audit-ap', (n) => n >= 0 && n <= 1),
  };
  const rp = v['min-recall-at-precision'];
  if (rp !== undefined) {
    const [r, p] = rp.split('@').map(Number);
    if (!(r >= 0 && r <= 1 && p > 0 && p <= 1) || rp.split('@').length !== 2)
      throw new UsageError(`--min-recall-at-precision "${rp}": expected recall@precision, e.g. 0.5@0.9.`);
    gates.minRecallAtPrecision = { recall: r, precision: p };
  }
  const wanted = v.audit || gates.minAuditAp !== undefined || gates.minRecallAtPrecision !== undefined;
  return { wanted, gates, atPrecision: gates.minRecallAtPrecision?.precision ?? 0.9 };
}

/** The audit section, read against the store (the evaluated store itself, else the workspace's, read-only). */
export async function evalAudit(
  v: EvalAuditValues & StoreValues,
  headDir: string,
  weights: HeadWeights,
  data: EvaluationData,
  atPrecision: number,
  io: CliIo,
) {
  const topN = numberOption(v['audit-top'], 'audit-top', wholeNumber(0))!;
  if (data.kind === 'store') return auditReportForHead(headDir, weights, data.store, { topN, atPrecision });
  const store = await openCliStore(v, io, 'read');
  try {
    return await auditReportForHead(headDir, weights, store, { topN, atPrecision });
  } finally {
    await store.close();
  }
}
