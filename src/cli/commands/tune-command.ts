import * as path from 'node:path';
import { readAnswerSheet, requireAnswersInStore } from '../../core/tune/answer-sheet';
import { formatProgress, ProgressTracker } from '../../core/tune/progress';
import { DIVERSE_DEFAULTS } from '../../core/tune/diverse';
import { ALL_STRATEGIES, isStrategy } from '../../core/tune/strategy';
import { hideAuditFromBatches } from '../../core/audit/hide-from-batches';
import { defineCommand, numberOption, requirePositional, UsageError, wholeNumber } from '../command';
import {
  annotatorFrom,
  annotatorOptions,
  headsOptions,
  modelOptions,
  pineconeOptions,
  storeOptions,
} from '../common-options';
import { openHead } from '../head-context';
import { formatHeldOut } from '../../core/eval/held-out-set';
import { HeldOutTrend } from '../../core/eval/held-out-trend';
import { loadModelForCli } from '../model-loader';

export const tuneCommand = defineCommand({
  name: 'tune',
  summary:
    'Run tuning rounds with scores from a CSV: a simulated labeller for benchmarks and CI, or a replay of labels you already have. ' +
    'Each round shows the head\'s next batch to the "labeller", appends its scores to labels.jsonl, trains, and marks the batch seen.',
  args: '<head-name>',
  options: {
    ...storeOptions,
    ...pineconeOptions,
    ...headsOptions,
    ...annotatorOptions,
    answers: { type: 'string', description: 'CSV with the known answers.' },
    'id-column': { type: 'string', description: 'Answers column matching record ids.', default: 'path' },
    'label-column': { type: 'string', description: 'Answers column with class labels (with --positive).' },
    positive: { type: 'string', description: 'The label value that scores +1 (every other value scores -1).' },
    'score-column': {
      type: 'string',
      description: 'Answers column with numeric scores from -1 to +1 (instead of labels).',
    },
    rounds: { type: 'string', description: 'Rounds to run.', default: '5' },
    batch: { type: 'string', description: 'Records per round.', default: '10' },
    strategy: {
      type: 'string',
      description: `${ALL_STRATEGIES.join(' | ')} (-diverse: near-duplicates, in the batch or of labelled records, collapse to one).`,
      default: 'top',
    },
    'diverse-similarity': {
      type: 'string',
      description:
        'With a -diverse strategy: the cosine similarity at or above which two records count as near-duplicates.',
      default: String(DIVERSE_DEFAULTS.maxSimilarity),
    },
    'eval-every': {
      type: 'string',
      description:
        "Measure the head on its held-out set (vector-tune held-out) every N rounds and print the AP; 0: never. A folder of images is embedded once, with the head's model (the model options below).",
      default: '5',
    },
    ...modelOptions,
  },
  examples: [
    'vector-tune tune hat --answers labels.csv --id-column path --label-column label --positive hat --rounds 10',
  ],
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the head's name", 'tune');
    const v = parsed.values;
    if (!v.answers) throw new UsageError('--answers is required.', undefined, 'See: vector-tune tune --help');
    if (!isStrategy(v.strategy!))
      throw new UsageError(`unknown strategy "${v.strategy}"; use ${ALL_STRATEGIES.join(', ')}.`);
    const rounds = numberOption(v.rounds, 'rounds', wholeNumber(1))!;
    const batch = numberOption(v.batch, 'batch', wholeNumber(1))!;
    const maxSimilarity = numberOption(v['diverse-similarity'], 'diverse-similarity', (n) => n >= -1 && n <= 1)!;
    const evalEvery = numberOption(v['eval-every'], 'eval-every', wholeNumber(0))!;
    const answers = await readAnswerSheet({
      file: path.resolve(io.cwd, v.answers),
      idColumn: v['id-column']!,
      labelColumn: v['label-column'],
      positive: v.positive,
      scoreColumn: v['score-column'],
    });
    const { session, close } = await openHead(v, name, io);
    session.annotator = annotatorFrom(v, io.cwd);
    const progress = new ProgressTracker();
    let closeModel = async () => {};
    const heldOut = new HeldOutTrend(session.paths.dir, {
      root: io.cwd,
      embedder: async () => {
        const model = await loadModelForCli(v, io, { modelId: session.currentWeights.model.id });
        closeModel = () => model.dispose();
        return model;
      },
    });
    try {
      await hideAuditFromBatches(session);
      await progress.start(session);
      const set = evalEvery > 0 ? await heldOut.current(session) : null; // a bad held-out.json stops before round 1
      if (set) io.out(`held-out set: ${set.description} (${set.size} records), measured every ${evalEvery} rounds`);
      for (let i = 0; i < rounds; i++) {
        // labels.jsonl may have changed between rounds (an editor, git): the batch comes from the head it makes.
        for (const note of await session.syncWithDisk()) io.err(note);
        const candidates = await session.nextBatch(batch, v.strategy, { maxSimilarity });
        if (candidates.length === 0) {
          io.out(
            'every record has been seen by this head; stopping (vector-tune reset-seen offers again those shown but not scored; labelled ones stay seen).',
          );
          break;
        }
        const verdicts = candidates.map((c) => ({ id: c.id, score: answers.get(c.id) ?? null }));
        if (verdicts.every((x) => x.score === null))
          await requireAnswersInStore(session.store, answers, path.resolve(io.cwd, v.answers), candidates);
        const result = await session.submit(verdicts);
        for (const note of result.notes ?? []) io.err(note);
        const positives = verdicts.filter((x) => (x.score ?? 0) > 0).length;
        const unanswered = verdicts.filter((x) => x.score === null).length;
        const round = await progress.after(session, result.round, verdicts);
        round.heldOut = await heldOut.afterRound(session, result.round, evalEvery);
        io.out(
          `round ${result.round}: ${positives}/${candidates.length} positive${unanswered ? `, ${unanswered} without an answer (skipped)` : ''}, ` +
            `labels ${result.labelCount}, loss ${result.loss.toFixed(4)}, w moved ${result.moved.toFixed(4)}; ${formatProgress(round)}`,
        );
        if (round.heldOut) io.out(`  ${formatHeldOut(round.heldOut)}`);
      }
      return 0;
    } finally {
      try {
        await closeModel();
      } finally {
        await close();
      }
    }
  },
});
