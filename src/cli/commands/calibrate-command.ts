import * as path from 'node:path';
import { auditFileOf, readAudit } from '../../core/audit/audit-file';
import { auditPoints } from '../../core/audit/audit-head';
import { CalibrationMethod, fitCalibration, FitOptions } from '../../core/calibration/calibration';
import { VectorTuneError } from '../../core/errors';
import { writeWeights } from '../../core/head/weights-file';
import { defineCommand, numberOption, requirePositional, UsageError } from '../command';
import { headsOptions, pineconeOptions, storeOptions } from '../common-options';
import { openHead } from '../head-context';

export const calibrateCommand = defineCommand({
  name: 'calibrate',
  summary:
    "Fit a head's probabilities and decision threshold on its scored audit sample and store them in classifier.weights.json " +
    '(format 2): Platt scaling, or isotonic on large samples (500+ records, 30+ of each class). The threshold is the loosest ' +
    'with --target-precision on the sample, the strictest with --target-recall, or else the best F1. predict and the ' +
    'audit use it. Training the head again drops it (it describes the weights it was fitted on): calibrate again.',
  args: '<head-name>',
  options: {
    ...storeOptions,
    ...pineconeOptions,
    ...headsOptions,
    method: { type: 'string', description: 'auto | platt | isotonic.', default: 'auto' },
    'target-precision': { type: 'string', description: 'Pick the threshold with the most recall at this precision.' },
    'target-recall': { type: 'string', description: 'Pick the threshold with the most precision at this recall.' },
  },
  examples: ['vector-tune calibrate hat --target-precision 0.9', 'vector-tune calibrate hat --method platt'],
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the head's name", 'calibrate');
    const v = parsed.values;
    const unit = (n: number) => n > 0 && n <= 1;
    const precision = numberOption(v['target-precision'], 'target-precision', unit);
    const recall = numberOption(v['target-recall'], 'target-recall', unit);
    if (precision !== undefined && recall !== undefined)
      throw new UsageError('give --target-precision or --target-recall, not both.');
    if (!['auto', 'platt', 'isotonic'].includes(v.method!))
      throw new UsageError(`--method "${v.method}": use auto, platt or isotonic.`);
    const { store, session, close } = await openHead(v, name, io);
    try {
      const file = auditFileOf(session.paths.dir);
      const sample = await readAudit(file);
      if (!sample)
        throw new VectorTuneError(
          `head "${name}" has no audit sample to calibrate on.`,
          file,
          `Draw and score one first: vector-tune audit ${name} --draw 200.`,
        );
      const weights = session.currentWeights;
      const { points } = await auditPoints(weights, store, sample);
      const options: FitOptions = {
        method: v.method as CalibrationMethod | 'auto',
        rule: precision !== undefined ? 'target-precision' : recall !== undefined ? 'target-recall' : 'best-f1',
        target: precision ?? recall,
        file: path.basename(file),
      };
      const calibration = fitCalibration(
        weights,
        points.map((p) => p.logit),
        points.map((p) => p.positive),
        options,
      );
      await writeWeights(session.paths.weights, { ...weights, calibration });
      const t = calibration.threshold;
      io.out(
        `calibrated head "${name}" on ${calibration.fittedOn.records} audit records (${calibration.fittedOn.positives} positive) with ${calibration.method}: ` +
          `positive when logit > ${t.logit.toFixed(4)} (probability ${t.probability.toFixed(3)}); on the sample: precision ${fmt(t.precision)}, recall ${fmt(t.recall)}`,
      );
      io.out(`wrote ${path.relative(io.cwd, session.paths.weights)} (format 2)`);
      return 0;
    } finally {
      await close();
    }
  },
});

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : 'n/a';
}
