import * as path from 'node:path';
import { evaluateHead, readHeadForEvaluation } from '../core/eval/evaluate';
import type { EvaluationData } from '../core/eval/evaluation-data';
import { writeReport } from '../core/eval/report';
import type { TruthSpec } from '../core/eval/truth';
import type { VectorStore } from '../core/store/types';
import type { TuningSession } from '../core/tune/session';
import type { EngineConfig, EvaluationSource, EvaluationSummary } from '../protocol/worker-protocol';
import type { ModelHolder } from './model-holder';
import type { RequestContext } from './request-context';

/**
 * One `evaluate` request: score the held-out data with the open head's committed weights (a folder is embedded
 * with the worker's model, not stored), measure against the truth, and write the report beside the head.
 */
export async function runEvaluate(
  { source, thumbnails }: { source: EvaluationSource; thumbnails?: boolean },
  session: TuningSession,
  store: VectorStore,
  config: EngineConfig,
  models: ModelHolder,
  context: RequestContext,
): Promise<EvaluationSummary> {
  const root = config.workspaceRoot;
  let data: EvaluationData;
  let truth: TruthSpec;
  if (source.kind === 'folder') {
    const folder = path.resolve(root, source.folder);
    data = { kind: 'folder', folder, embedder: await models.encoder(config) };
    truth = {
      kind: 'folders',
      positive: source.positive,
      under: path.relative(root, folder).split(path.sep).join('/'),
    };
  } else {
    data = { kind: 'store', store };
    truth = {
      kind: 'answers',
      sheet: {
        file: path.resolve(root, source.csvFile),
        idColumn: source.idColumn,
        labelColumn: source.labelColumn,
        positive: source.positive,
      },
    };
  }
  const result = await evaluateHead({
    head: await readHeadForEvaluation(session.paths.weights),
    data,
    root,
    truth,
    signal: context.signal,
    onProgress: (p) => context.progress(p),
  });
  const written = await writeReport(session.paths.dir, result, {
    root,
    thumbnails: thumbnails === false ? false : undefined,
  });
  const m = result.metrics;
  return {
    markdownFile: written.files.markdown,
    n: m?.n ?? 0,
    positives: m?.positives ?? 0,
    averagePrecision: m?.averagePrecision ?? null,
    rocAuc: m?.rocAuc ?? null,
    comparison:
      describeChange(written.previous?.metrics?.averagePrecision, m?.averagePrecision) ?? written.comparisonNote,
  };
}

function describeChange(before: number | null | undefined, after: number | null | undefined): string | null {
  if (before == null || after == null) return null;
  const delta = after - before;
  return `AP ${before.toFixed(3)} -> ${after.toFixed(3)} (${delta >= 0 ? '+' : ''}${delta.toFixed(3)}) since the previous report`;
}
