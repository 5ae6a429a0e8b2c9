import * as path from 'node:path';
import { auditFileOf, readAudit, scoreAudit, writeAudit } from '../../core/audit/audit-file';
import { auditHead } from '../../core/audit/audit-head';
import { drawAuditSample } from '../../core/audit/draw';
import { VectorTuneError } from '../../core/errors';
import { writeFileAtomic } from '../../core/fs/durable';
import { currentCalibration } from '../../core/head/weights-file';
import { readAnswerSheet } from '../../core/tune/answer-sheet';
import { hideAuditFromBatches } from '../../core/audit/hide-from-batches';
import { defineCommand, numberOption, requirePositional, UsageError, wholeNumber } from '../command';
import { headsOptions, pineconeOptions, storeOptions } from '../common-options';
import { openHead } from '../head-context';
import { printAuditEstimates } from './audit-print';

export const auditCommand = defineCommand({
  name: 'audit',
  summary:
    "Draw, score and read a head's audit sample: a seeded, uniformly random sample of the store, frozen in the head's " +
    'audit.jsonl (commit it), never shown in batches nor trained on. From its scores: estimated prevalence, precision and ' +
    "recall at the head's threshold, AP, the positives in the collection and how many the head's top N catch, each with a 95% interval.",
  args: '<head-name>',
  options: {
    ...storeOptions,
    ...pineconeOptions,
    ...headsOptions,
    draw: { type: 'string', description: 'Draw a new sample of this many records (100-300 is usual).' },
    seed: {
      type: 'string',
      description: 'Seed of the draw (the same seed on the same store draws the same sample).',
      default: '1',
    },
    force: { type: 'boolean', description: 'With --draw: replace an existing sample (and its scores).' },
    score: {
      type: 'string',
      multiple: true,
      description: 'Score a sample record: id=score, score from -1 to +1 (repeatable; above 0 is positive, 0 unsure).',
    },
    from: { type: 'string', description: 'Score sample records from a CSV (records outside the sample are ignored).' },
    'id-column': { type: 'string', description: 'With --from: the column of record ids.', default: 'path' },
    'label-column': { type: 'string', description: 'With --from: the column of class labels (with --positive).' },
    positive: { type: 'string', description: 'With --from: the label value that scores +1 (others score -1).' },
    'score-column': {
      type: 'string',
      description: 'With --from: a column of scores from -1 to +1, instead of labels.',
    },
    threshold: {
      type: 'string',
      description: "Logit threshold for precision and recall (default: the head's calibrated threshold, else 0).",
    },
    top: { type: 'string', description: "Estimate what the head's top N records catch.", default: '100' },
    'at-precision': {
      type: 'string',
      description: 'Also estimate the recall reachable at this precision.',
      default: '0.9',
    },
    unscored: { type: 'boolean', description: 'List the ids of the sample records not scored yet.' },
    json: { type: 'string', description: 'Also write the estimates to this JSON file.' },
  },
  examples: [
    'vector-tune audit hat --draw 200 --seed 7',
    'vector-tune audit hat --from audit-answers.csv --label-column label --positive hat',
    'vector-tune audit hat --score images/a.jpg=1 --score images/b.jpg=-1',
  ],
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the head's name", 'audit');
    const v = parsed.values;
    const draw = numberOption(v.draw, 'draw', wholeNumber(1));
    const seed = numberOption(v.seed, 'seed', Number.isSafeInteger)!;
    const top = numberOption(v.top, 'top', wholeNumber(0))!;
    const atPrecision = numberOption(v['at-precision'], 'at-precision', (n) => n > 0 && n <= 1)!;
    const threshold = numberOption(v.threshold, 'threshold');
    if (v.force && draw === undefined) throw new UsageError('--force only goes with --draw.');
    const scores = await scoresGiven(v, io.cwd);
    const { store, session, close } = await openHead(v, name, io);
    try {
      const file = auditFileOf(session.paths.dir);
      let sample = await readAudit(file);
      if (draw !== undefined) {
        if (sample && !v.force)
          throw new VectorTuneError(
            `head "${name}" already has an audit sample of ${sample.draw.size} records.`,
            file,
            'Keep scoring it (its estimates stay comparable over time), or pass --force to draw a new one and discard its scores.',
          );
        sample = await drawAuditSample(store, draw, seed);
        await writeAudit(file, sample);
        io.out(
          `drew ${sample.draw.size} of ${sample.draw.storeCount} records (seed ${seed}) into ${path.relative(io.cwd, file)}`,
        );
      }
      if (!sample)
        throw new VectorTuneError(
          `head "${name}" has no audit sample yet.`,
          file,
          'Draw one first: vector-tune audit ' + name + ' --draw 200.',
        );
      await hideAuditFromBatches(session);
      if (scores.size > 0) {
        const scored = scoreAudit(sample, scores);
        sample = scored.sample;
        await writeAudit(file, sample);
        const inside = scores.size - scored.outside.length;
        io.out(
          `scored ${inside} sample record(s)${scored.outside.length ? `; ${scored.outside.length} given id(s) are not in the sample and were ignored` : ''}`,
        );
      }
      const unscored = sample.items.filter((i) => i.score === null);
      if (v.unscored) for (const i of unscored) io.out(i.id);
      if (unscored.length === sample.items.length) {
        io.out(
          `none of the ${sample.items.length} sample records is scored yet (--unscored lists them; score with --from or --score).`,
        );
        return 0;
      }
      const weights = session.currentWeights;
      const calibration = currentCalibration(weights);
      const estimates = await auditHead(weights, store, sample, {
        threshold: threshold ?? calibration?.threshold.logit ?? 0,
        topN: top,
        atPrecision,
        trainedIds: new Set(session.allLabels.map((l) => l.id)),
      });
      printAuditEstimates(estimates, io, threshold === undefined && calibration ? 'calibrated' : undefined);
      if (v.json) await writeFileAtomic(path.resolve(io.cwd, v.json), JSON.stringify(estimates, null, 1) + '\n');
      return 0;
    } finally {
      await close();
    }
  },
});

type Values = Parameters<(typeof auditCommand)['run']>[0]['values'];

/** The scores given on the command line (--score id=s) and in a CSV (--from); the command line wins. */
async function scoresGiven(v: Values, cwd: string): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  if (v.from) {
    const sheet = await readAnswerSheet({
      file: path.resolve(cwd, v.from),
      idColumn: v['id-column']!,
      labelColumn: v['label-column'],
      positive: v.positive,
      scoreColumn: v['score-column'],
    });
    for (const [id, s] of sheet) scores.set(id, s);
  }
  for (const item of v.score) {
    const at = item.lastIndexOf('=');
    const s = Number(item.slice(at + 1));
    if (at <= 0 || item.slice(at + 1).trim() === '' || !(s >= -1 && s <= 1))
      throw new UsageError(`--score "${item}": expected id=score with a score from -1 to +1.`);
    scores.set(item.slice(0, at), s);
  }
  return scores;
}
