/**
 * `vector-tune eval --all`: every committed head gated in one command, for CI. A loop over the single-head
 * eval (the same data, truth and gates for each head), then one summary table; exit 1 naming each head that
 * failed a gate or could not be evaluated. Each head's positive class is its own name unless --positive-of
 * maps it (hat-v2=hat).
 */
import * as path from 'node:path';
import { compareResults } from '../../core/eval/compare';
import { formatDelta } from '../../core/eval/report-markdown';
import { VectorTuneError } from '../../core/errors';
import { writeFileAtomic } from '../../core/fs/durable';
import { listHeadNames } from '../../core/head/head-folder';
import { type CliIo, type HeadEvaluation, type OptionSpec, UsageError } from '../command';

/** The options only --all takes; declared here, beside the code that reads them. */
export const evalAllOptions = {
  all: {
    type: 'boolean',
    description:
      'Evaluate every head in --heads (instead of one by name), each on the same data with its own name as the positive class; one summary table; exit 1 naming each head that fails.',
  },
  'positive-of': {
    type: 'string',
    multiple: true,
    description: 'With --all: the positive class of a head whose class has another name, head=class (repeatable).',
  },
  summary: { type: 'string', description: 'With --all: also write the summary table as Markdown to this file.' },
} satisfies Record<string, OptionSpec>;

interface Row {
  head: string;
  evaluation?: HeadEvaluation;
  /** Why the head could not be evaluated at all (a broken weights file, no positives in the data...). */
  error?: string;
}

/** The values --all reads of eval's options. */
interface EvalAllValues {
  all: boolean;
  heads?: string;
  positive?: string;
  'positive-of': string[];
  summary?: string;
}

type EvalArgs<V> = { positionals: string[]; values: V };

export async function evalAllHeads<V extends EvalAllValues>(
  parsed: EvalArgs<V>,
  io: CliIo,
  evalOne: (parsed: EvalArgs<V>, io: CliIo) => Promise<number>,
): Promise<number> {
  const v = parsed.values;
  if (parsed.positionals.length > 0)
    throw new UsageError("give either a head's name or --all, not both.", undefined, 'See: vector-tune eval --help');
  if (v.positive !== undefined)
    throw new UsageError(
      "--positive cannot be given with --all: each head's positive class is its own name.",
      undefined,
      'Map a head whose class has another name with --positive-of head=class.',
    );
  const positiveOf = parsePositiveOf(v['positive-of']);
  const headsDir = path.resolve(io.cwd, v.heads!);
  const names = await listHeadNames(headsDir);
  if (names.length === 0)
    throw new VectorTuneError('there are no heads here (no sub-folder holds classifier.weights.json).', headsDir);
  for (const name of positiveOf.keys())
    if (!names.includes(name))
      throw new UsageError(`--positive-of names the head "${name}", which is not in ${headsDir}.`);

  const rows: Row[] = [];
  for (const head of names) {
    io.out(`== ${head}`);
    const row: Row = { head };
    const values = { ...parsed.values, all: false, positive: positiveOf.get(head) ?? head };
    try {
      await evalOne(
        { positionals: [head], values },
        {
          ...io,
          onEvaluated: (evaluation) => (row.evaluation = evaluation),
        },
      );
    } catch (err) {
      if (!(err instanceof VectorTuneError) || err instanceof UsageError) throw err; // the same for every head
      row.error = err.message;
      io.err(`vector-tune eval: head "${head}": ${err.message}`);
    }
    rows.push(row);
  }

  const table = summaryTable(rows);
  io.out('');
  io.out(`== summary: ${rows.length} heads`);
  for (const cells of table) io.out(`  ${cells.join('  ')}`);
  if (v.summary) {
    const file = path.resolve(io.cwd, v.summary);
    await writeFileAtomic(file, summaryMarkdown(rows, path.dirname(file)));
    io.out(`summary: ${path.relative(io.cwd, file)}`);
  }
  const failed = rows.filter((r) => !r.evaluation || r.evaluation.failures.length > 0);
  if (failed.length === 0) return 0;
  io.err(
    `vector-tune eval --all: ${failed.length} of ${rows.length} heads failed: ${failed.map((r) => r.head).join(', ')}.`,
  );
  return 1;
}

function parsePositiveOf(values: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const value of values) {
    const m = /^([^=]+)=(.+)$/.exec(value);
    if (!m) throw new UsageError(`--positive-of "${value}": use head=class (e.g. --positive-of hat-v2=hat).`);
    map.set(m[1], m[2]);
  }
  return map;
}

function cellsOf(row: Row): { ap: string; change: string; auc: string; records: string; result: string } {
  const e = row.evaluation;
  if (!e) return { ap: '–', change: '–', auc: '–', records: '–', result: `ERROR: ${row.error ?? 'not evaluated'}` };
  const m = e.result.metrics;
  const apChange = compareResults(e.result, e.previous).comparison?.changes.find((c) => c.key === 'averagePrecision');
  const fixed = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(4));
  return {
    ap: fixed(m?.averagePrecision),
    change: formatDelta({ integer: false }, apChange),
    auc: fixed(m?.rocAuc),
    records: String(m?.n ?? e.result.data.records),
    result: e.failures.length === 0 ? 'passed' : `FAILED: ${e.failures.join('; ')}`,
  };
}

const HEADER = ['head', 'AP', 'change', 'ROC-AUC', 'records', 'result'];

function summaryTable(rows: Row[]): string[][] {
  const body = rows.map((r) => {
    const c = cellsOf(r);
    return [r.head, c.ap, c.change, c.auc, c.records, c.result];
  });
  const widths = HEADER.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  // The last column (the result) is not padded: it is free text.
  return [HEADER, ...body].map((cells) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c)));
}

/** The same table in Markdown, each head linking its report (for a CI job summary or a pull request). */
function summaryMarkdown(rows: Row[], dir: string): string {
  const lines = [
    '## Vector Tune: committed heads',
    '',
    `| ${HEADER.join(' | ')} | report |`,
    '|---|---:|---:|---:|---:|---|---|',
  ];
  for (const r of rows) {
    const c = cellsOf(r);
    const report = r.evaluation
      ? `[${path.basename(r.evaluation.markdownFile)}](${path.relative(dir, r.evaluation.markdownFile).split(path.sep).join('/')})`
      : '';
    const result = c.result.replace(/\|/g, '\\|');
    lines.push(`| \`${r.head}\` | ${c.ap} | ${c.change} | ${c.auc} | ${c.records} | ${result} | ${report} |`);
  }
  return lines.join('\n') + '\n';
}
