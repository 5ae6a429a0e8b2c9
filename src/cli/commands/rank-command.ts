import * as path from 'node:path';
import { toCsv } from '../../core/io/csv';
import { writeFileAtomic } from '../../core/fs/durable';
import { rankFolder, rankRawEmbeddings, rankStore, RankedRecord } from '../../core/eval/rank';
import { fullReadNotice } from '../../core/eval/score-store';
import type { HeadWeights } from '../../core/head/weights-file';
import { averagePrecision, rocAuc } from '../../core/eval/metrics';
import { readAnswerSheet } from '../../core/tune/answer-sheet';
import { parseRowFilter } from '../../core/ingest/row-filter';
import { CliIo, defineCommand, numberOption, requirePositional, UsageError, wholeNumber } from '../command';
import { headsOptions, modelOptions, pineconeOptions, storeOptions } from '../common-options';
import { loadModelForCli } from '../model-loader';
import { openHead } from '../head-context';

export const rankCommand = defineCommand({
  name: 'rank',
  summary:
    "Score records with a head and list them best first: the store's records, the images of a folder (embedded, not stored), " +
    'or raw embeddings from an .npy + CSV. ' +
    'With known answers, also prints average precision and ROC-AUC.',
  args: '<head-name>',
  options: {
    ...storeOptions,
    ...pineconeOptions,
    ...headsOptions,
    ...modelOptions,
    folder: {
      type: 'string',
      description: "Rank the images of this folder (embedded with the head's model, not added to the store).",
    },
    root: { type: 'string', description: 'Workspace root that ids are relative to (with --folder).', default: '.' },
    npy: {
      type: 'string',
      description: "Rank these raw embeddings instead of the store (the head's own preprocessing is applied).",
    },
    csv: { type: 'string', description: 'CSV naming the .npy rows (with --npy).' },
    'id-column': { type: 'string', description: 'CSV column with ids (with --npy).', default: 'path' },
    where: {
      type: 'string',
      multiple: true,
      description: 'Rank only CSV lines where column=value (with --npy; repeatable).',
    },
    top: { type: 'string', description: 'How many to print.', default: '20' },
    out: { type: 'string', description: 'Write every ranked record (rank, id, logit, probability) to this CSV.' },
    answers: { type: 'string', description: 'CSV of known answers, to measure AP and ROC-AUC.' },
    'answers-id-column': { type: 'string', description: 'Answers column matching ids.', default: 'path' },
    'label-column': { type: 'string', description: 'Answers column with class labels.' },
    positive: { type: 'string', description: 'The label value that counts as positive.' },
  },
  examples: [
    'vector-tune rank hat --npy feats.npy --csv feats.csv --where split=test --answers feats.csv --label-column label --positive hat',
  ],
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the head's name", 'rank');
    const v = parsed.values;
    const top = numberOption(v.top, 'top', wholeNumber(0))!;
    const { store, session, close } = await openHead(v, name, io);
    let ranked: RankedRecord[];
    try {
      if (v.npy) {
        if (!v.csv) throw new UsageError('--npy needs --csv naming its rows.');
        ranked = await rankRawEmbeddings(session.currentWeights, {
          npyFile: path.resolve(io.cwd, v.npy),
          csvFile: path.resolve(io.cwd, v.csv),
          idColumn: v['id-column']!,
          where: v.where.map(parseRowFilter),
        });
      } else if (v.folder) {
        ranked = await rankImages(session.currentWeights, v, io);
      } else {
        // Printing the best --top needs only those (one query); --out and --answers need every record.
        const whole = v.out !== undefined || v.answers !== undefined;
        ranked = await rankStore(session, store, {
          top: whole ? undefined : top,
          onFullRead: (count, limit) => io.err(`${fullReadNotice(count, limit)}.`),
        });
      }
    } finally {
      await close();
    }
    ranked
      .slice(0, top)
      .forEach((r, i) => io.out(`${String(i + 1).padStart(5)}  ${r.logit.toFixed(4).padStart(9)}  ${r.id}`));
    if (v.out) {
      const rows = ranked.map((r, i) => [
        String(i + 1),
        r.id,
        r.logit.toFixed(6),
        (1 / (1 + Math.exp(-r.logit))).toFixed(6),
      ]);
      await writeFileAtomic(path.resolve(io.cwd, v.out), toCsv(['rank', 'id', 'logit', 'probability'], rows));
    }
    if (v.answers) await printMetrics(ranked, v, io);
    return 0;
  },
});

async function printMetrics(
  ranked: RankedRecord[],
  v: { answers?: string; 'answers-id-column'?: string; 'label-column'?: string; positive?: string },
  io: CliIo,
): Promise<void> {
  const answers = await readAnswerSheet({
    file: path.resolve(io.cwd, v.answers!),
    idColumn: v['answers-id-column']!,
    labelColumn: v['label-column'],
    positive: v.positive,
  });
  const known = ranked.filter((r) => answers.has(r.id));
  const truth = known.map((r) => answers.get(r.id)! > 0);
  const scores = known.map((r) => r.logit);
  const positives = truth.filter(Boolean).length;
  io.out(
    `evaluated ${known.length} records (${positives} positive, base rate ${(positives / Math.max(known.length, 1)).toFixed(4)}): ` +
      `AP ${averagePrecision(scores, truth).toFixed(4)}, ROC-AUC ${rocAuc(scores, truth).toFixed(4)}`,
  );
}

async function rankImages(
  weights: HeadWeights,
  v: { folder?: string; root?: string; model?: string; 'model-cache'?: string; offline: boolean },
  io: CliIo,
): Promise<RankedRecord[]> {
  const embedder = await loadModelForCli(v, io, { modelId: weights.model.id });
  try {
    const { ranked, skipped } = await rankFolder(
      weights,
      path.resolve(io.cwd, v.folder!),
      path.resolve(io.cwd, v.root!),
      embedder,
    );
    for (const s of skipped) io.err(`skipped ${s.path}: ${s.reason}`);
    return ranked;
  } finally {
    await embedder.dispose();
  }
}
