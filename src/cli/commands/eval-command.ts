import * as path from 'node:path';
import { checkThresholds, compareResults, Gates, headlineMetrics } from '../../core/eval/compare';
import { evaluateHead, readHeadForEvaluation } from '../../core/eval/evaluate';
import type { EvaluationData } from '../../core/eval/evaluation-data';
import type { EvaluationResult } from '../../core/eval/evaluation-result';
import { formatDelta } from '../../core/eval/report-markdown';
import { defaultReportName, readPreviousReport, writeReport } from '../../core/eval/report';
import { DEFAULT_THUMBNAILS_MAX_BYTES } from '../../core/eval/report-thumbnails';
import type { TruthSpec } from '../../core/eval/truth';
import { headPaths } from '../../core/head/head-folder';
import { parseRowFilter } from '../../core/ingest/row-filter';
import { CliIo, defineCommand, numberOption, requirePositional, UsageError, wholeNumber } from '../command';
import { headsOptions, modelOptions, pineconeOptions, storeOptions } from '../common-options';
import { loadModelForCli } from '../model-loader';
import { evalAllHeads, evalAllOptions } from './eval-all';
import { auditGateFailures } from '../../core/audit/audit-report';
import { auditGatesOf, evalAudit, evalAuditOptions } from './eval-audit';
import { openCliStore } from '../store-context';

export const evalCommand = defineCommand({
  name: 'eval',
  summary:
    "Evaluate a head on held-out data and write its report into the head's reports/ folder (Markdown, JSON, SVG charts). " +
    'Data: a folder of images in class sub-folders (--folder, --positive), raw embeddings (--npy/--csv), or the store. ' +
    'Truth: the class sub-folders, or a CSV (--answers, or the --csv itself with --label-column). ' +
    "With --audit, adds the estimates from the head's audit sample. " +
    'Exits 1 when a gate (--min-ap, --min-auc, --max-drop, --min-audit-ap, --min-recall-at-precision) fails, for CI.',
  args: '<head-name>',
  options: {
    ...storeOptions,
    ...pineconeOptions,
    ...headsOptions,
    ...modelOptions,
    folder: {
      type: 'string',
      description: "Evaluate on the images of this folder (embedded with the head's model, not stored).",
    },
    root: { type: 'string', description: 'Workspace root that ids and report paths are relative to.', default: '.' },
    npy: { type: 'string', description: "Evaluate on these raw embeddings (the head's own preprocessing is applied)." },
    csv: { type: 'string', description: 'CSV naming the .npy rows (with --npy).' },
    'id-column': { type: 'string', description: 'CSV column with ids (with --npy).', default: 'path' },
    where: {
      type: 'string',
      multiple: true,
      description: 'Use only CSV lines where column=value (with --npy; repeatable).',
    },
    images: {
      type: 'string',
      description: 'Folder the --npy ids are image paths in, to show thumbnails in the report.',
    },
    positive: {
      type: 'string',
      description: 'The positive class: a sub-folder name (class folders), or the label value (with --label-column).',
    },
    answers: {
      type: 'string',
      description: 'CSV of known answers (default with --npy and --label-column: the --csv itself).',
    },
    'answers-id-column': { type: 'string', description: 'Answers column matching ids (default: --id-column).' },
    'label-column': { type: 'string', description: 'Answers column with class labels (with --positive).' },
    'score-column': {
      type: 'string',
      description: 'Answers column with scores from -1 to +1 (above 0 is positive), instead of labels.',
    },
    top: {
      type: 'string',
      description: 'Records listed per list (top ranked, false positives, false negatives).',
      default: '20',
    },
    'report-name': {
      type: 'string',
      description: 'Report file name (default: eval-<data>-<class>, overwritten each run).',
    },
    'min-ap': { type: 'string', description: 'Fail (exit 1) when average precision is below this.' },
    'min-auc': { type: 'string', description: 'Fail (exit 1) when ROC-AUC is below this.' },
    'max-drop': {
      type: 'string',
      description: 'Fail (exit 1) when average precision fell by more than this against the previous report.',
    },
    'no-thumbnails': {
      type: 'boolean',
      description: 'Link the listed images themselves instead of writing small thumbnails beside the report.',
    },
    'thumbnails-max-kb': {
      type: 'string',
      description: 'Size limit of the thumbnails written beside the report, in all (past it, images get none).',
      default: String(DEFAULT_THUMBNAILS_MAX_BYTES / 1024),
    },
    ...evalAuditOptions,
    ...evalAllOptions,
  },
  examples: [
    'vector-tune eval hat --folder held-out --positive hat --min-ap 0.8 --max-drop 0.02',
    'vector-tune eval hat --npy feats.npy --csv feats.csv --where split=test --label-column label --positive hat',
    'vector-tune eval --all --npy held-out.npy --csv held-out.csv --label-column label --min-ap 0.6 --max-drop 0.02',
  ],
  async run(parsed, io): Promise<number> {
    if (parsed.values.all)
      return evalAllHeads(parsed, io, (one, headIo): Promise<number> => evalCommand.run(one, headIo));
    const [name] = requirePositional(parsed, 1, "the head's name", 'eval');
    const v = parsed.values;
    const root = path.resolve(io.cwd, v.root!);
    const unit = (n: number) => n >= 0 && n <= 1;
    const gates: Gates = {
      minAp: numberOption(v['min-ap'], 'min-ap', unit),
      minAuc: numberOption(v['min-auc'], 'min-auc', unit),
      maxDrop: numberOption(v['max-drop'], 'max-drop', unit),
    };
    const listSize = numberOption(v.top, 'top', wholeNumber(0))!;
    const thumbnailsMaxKb = numberOption(v['thumbnails-max-kb'], 'thumbnails-max-kb', (n) => n >= 0)!;
    // The committed weights file alone: CI evaluates a head without its store (git-ignored) or labels.
    const paths = headPaths(path.resolve(io.cwd, v.heads!), name);
    const head = await readHeadForEvaluation(paths.weights);
    const truth = truthSpec(v, io);
    const audit = auditGatesOf(v);

    const opened = await openData(v, head.weights.model.id, io);
    let result: EvaluationResult;
    try {
      let lastLine = 0;
      result = await evaluateHead({
        head,
        data: opened.data,
        root,
        truth,
        listSize,
        onProgress: (p) => {
          if (p.total === 0 || (Date.now() - lastLine < 2000 && p.done < p.total)) return;
          lastLine = Date.now();
          io.err(p.message);
        },
      });
      if (audit.wanted) result.audit = await evalAudit(v, paths.dir, head.weights, opened.data, audit.atPrecision, io);
    } finally {
      await opened.close();
    }
    for (const s of result.data.skipped) io.err(`skipped ${s.path}: ${s.reason}`);

    // Gates are checked against the committed baseline before anything is written. A failing run is written
    // beside it (<name>-failed) rather than over it, so running eval again cannot wash a regression away.
    const reportName = v['report-name'] ?? defaultReportName(result);
    const { previous } = await readPreviousReport(path.join(paths.reports, `${reportName}.json`));
    const failures = [
      ...checkThresholds(result, previous, gates).map((f) => f.message),
      ...auditGateFailures(result.audit ?? null, audit.gates),
    ];
    const written = await writeReport(paths.dir, result, {
      root,
      name: failures.length > 0 ? `${reportName}-failed` : reportName,
      thumbnails: v['no-thumbnails'] ? false : 1024 * thumbnailsMaxKb,
    });
    printSummary(result, previous, io);
    printAudit(result, io);
    if (written.comparisonNote) io.out(written.comparisonNote);
    io.out(`report: ${path.relative(io.cwd, written.files.markdown)}`);
    for (const f of failures) io.err(`vector-tune eval: gate failed: ${f}.`);
    io.onEvaluated?.({
      result,
      previous,
      failures,
      markdownFile: written.files.markdown,
    });
    return failures.length > 0 ? 1 : 0;
  },
});

type Values = Parameters<(typeof evalCommand)['run']>[0]['values'];

/** Class folders by default; a CSV when one is named, or the --csv itself when only a label column is. */
function truthSpec(v: Values, io: CliIo): TruthSpec | undefined {
  const labelled = v['label-column'] !== undefined || v['score-column'] !== undefined;
  const sheetFile = v.answers ?? (labelled && v.npy ? v.csv : undefined);
  if (sheetFile) {
    return {
      kind: 'answers',
      sheet: {
        file: path.resolve(io.cwd, sheetFile),
        idColumn: v['answers-id-column'] ?? v['id-column']!,
        labelColumn: v['label-column'],
        positive: v.positive,
        scoreColumn: v['score-column'],
      },
    };
  }
  if (labelled) throw new UsageError('--label-column and --score-column need a CSV: --answers, or --npy with --csv.');
  return v.positive !== undefined ? { kind: 'folders', positive: v.positive } : undefined;
}

/** The data source, and how to release what it opened (the model, or the store). */
async function openData(
  v: Values,
  modelId: string,
  io: CliIo,
): Promise<{ data: EvaluationData; close: () => Promise<void> }> {
  if (v.folder && v.npy)
    throw new UsageError('give either --folder or --npy, not both.', undefined, 'See: vector-tune eval --help');
  if (v.npy) {
    if (!v.csv) throw new UsageError('--npy needs --csv naming its rows.');
    const data: EvaluationData = {
      kind: 'embeddings',
      npyFile: path.resolve(io.cwd, v.npy),
      csvFile: path.resolve(io.cwd, v.csv),
      idColumn: v['id-column']!,
      where: v.where.map(parseRowFilter),
      imageFolder: v.images ? path.resolve(io.cwd, v.images) : undefined,
    };
    return { data, close: async () => {} };
  }
  if (v.folder) {
    // By default the head's own model: embeddings of any other model would be meaningless to its w.
    const embedder = await loadModelForCli(v, io, { modelId });
    return {
      data: { kind: 'folder', folder: path.resolve(io.cwd, v.folder), embedder },
      close: () => embedder.dispose(),
    };
  }
  // Evaluation only reads: it must run while VS Code (or another command) has the store open for writing.
  const store = await openCliStore(v, io, 'read');
  return { data: { kind: 'store', store }, close: () => store.close() };
}

function printSummary(result: EvaluationResult, previous: EvaluationResult | null, io: CliIo): void {
  io.out(
    `head "${result.head.name}" (${result.head.labelsCount} labels, weights ${result.head.weightsSha256.slice(0, 12)}) on ${result.data.description}: ${result.data.records} records`,
  );
  const m = result.metrics;
  if (!m) {
    io.out('no truth given: the records the head scores highest:');
    result.top.forEach((r, i) => io.out(`${String(i + 1).padStart(5)}  ${r.logit.toFixed(4).padStart(9)}  ${r.id}`));
    return;
  }
  const changes = new Map((compareResults(result, previous).comparison?.changes ?? []).map((c) => [c.key, c]));
  const rows = headlineMetrics(m);
  const width = Math.max(...rows.map((h) => h.label.length));
  for (const h of rows) {
    const value = h.value === null ? 'n/a' : h.integer ? String(h.value) : h.value.toFixed(4);
    const change = changes.has(h.key) ? `  (${formatDelta(h, changes.get(h.key))})` : '';
    io.out(`  ${h.label.padEnd(width)}  ${value.padStart(8)}${change}`);
  }
  const c = m.atDecision.confusion;
  io.out(`  confusion at logit 0: TP ${c.tp}, FP ${c.fp}, FN ${c.fn}, TN ${c.tn}`);
}

function printAudit(result: EvaluationResult, io: CliIo): void {
  const a = result.audit;
  if (!a) return;
  const f = (e: { value: number | null; low: number | null; high: number | null }) =>
    e.value === null ? 'n/a' : `${e.value.toFixed(4)} [${e.low!.toFixed(4)}-${e.high!.toFixed(4)}]`;
  io.out(
    `  audit estimates (${a.scored} scored of ${a.sampleSize}, ${a.positives} positive; 95% intervals; threshold ${a.thresholdFrom}):`,
  );
  io.out(`    prevalence ${f(a.prevalence)}, precision ${f(a.precision)}, recall ${f(a.recall)}, AP ${f(a.ap)}`);
  const r = a.recallAtPrecision;
  if (r) io.out(`    recall at precision ${r.precision}: ${r.recall ? f(r.recall) : 'not reached'}`);
}
