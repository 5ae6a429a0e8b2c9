import * as path from 'node:path';
import { readCommittedHeads } from '../../core/eval/committed-heads';
import {
  headThresholds,
  predictFolder,
  THRESHOLD_CHOICES,
  type ThresholdChoice,
} from '../../core/predict/predict-folder';
import { predictionFormatOf } from '../../core/predict/prediction-file';
import { defineCommand, numberOption, UsageError, wholeNumber } from '../command';
import { headListOptions, headNames, modelOptions } from '../common-options';
import { loadModelForCli } from '../model-loader';

/** Batches decoded ahead of the model: the CLI runs in its own process, where embedFiles may read ahead. */
const READ_AHEAD = 6;

export const predictCommand = defineCommand({
  name: 'predict',
  summary:
    'Apply committed heads to a folder of images (embedded with their model, not stored): one row per image with, per head, ' +
    'the logit, the probability and the decision (<head>_logit, <head>_probability, <head>_positive). ' +
    'Writes CSV, JSON Lines or Parquet, by the --out extension. Images that cannot be read are listed with the reason; the run goes on.',
  args: '',
  options: {
    ...headListOptions,
    folder: { type: 'string', description: 'The folder of images (searched recursively).' },
    out: { type: 'string', description: 'The file to write: .csv, .jsonl or .parquet.' },
    threshold: {
      type: 'string',
      description:
        "Each head's decision: zero (logit above 0), best-f1 (the best-F1 threshold of its last report), calibrated (the " +
        'threshold calibrated on its audit sample: vector-tune calibrate), or auto (calibrated when the head has one, else zero).',
      default: 'auto',
    },
    root: { type: 'string', description: 'Workspace root that the written paths are relative to.', default: '.' },
    batch: { type: 'string', description: 'Images per model run.', default: '8' },
    ...modelOptions,
  },
  examples: [
    'vector-tune predict --heads hat,skirt --folder new-photos --out predictions.csv',
    'vector-tune predict --heads hat --folder new-photos --out hats.parquet --threshold best-f1',
  ],
  async run(parsed, io) {
    const v = parsed.values;
    if (parsed.positionals.length > 0)
      throw new UsageError(`unexpected argument "${parsed.positionals[0]}": give the folder with --folder.`);
    const names = headNames(v.heads, 'predict');
    if (!v.folder) throw new UsageError('--folder is needed: the folder of images to predict.');
    if (!v.out) throw new UsageError('--out is needed: the .csv, .jsonl or .parquet file to write.');
    const threshold = v.threshold as ThresholdChoice;
    if (!THRESHOLD_CHOICES.includes(threshold))
      throw new UsageError(`--threshold "${v.threshold}": use ${THRESHOLD_CHOICES.join(' or ')}.`);
    const batchSize = numberOption(v.batch, 'batch', wholeNumber(1, 256))!;
    const out = path.resolve(io.cwd, v.out);
    predictionFormatOf(out); // a wrong extension is reported before the model loads
    const heads = await readCommittedHeads(path.resolve(io.cwd, v['heads-dir']!), names);
    headThresholds(heads, threshold); // a head without the report best-f1 needs is reported before the model loads

    const embedder = await loadModelForCli(v, io, { modelId: heads[0].weights.model.id });
    try {
      let lastLine = 0;
      const report = await predictFolder({
        heads,
        threshold,
        folder: path.resolve(io.cwd, v.folder),
        root: path.resolve(io.cwd, v.root!),
        embedder,
        out,
        batchSize,
        readAhead: READ_AHEAD,
        onProgress: (p) => {
          if (Date.now() - lastLine < 2000 && p.done < p.total) return;
          lastLine = Date.now();
          io.err(
            `read ${p.done}/${p.total} images: ${p.done - p.failed} predicted, ${p.failed} failed (${p.imagesPerSecond.toFixed(1)} images/s)`,
          );
        },
      });
      for (const f of report.failed) io.err(`failed ${f.path}: ${f.reason}`);
      for (const h of report.heads)
        io.out(`  ${h.name}: positive above ${h.threshold.toFixed(4)} (${h.thresholdFrom})`);
      const rate = report.seconds > 0 ? report.total / report.seconds : 0;
      io.out(
        `predicted ${report.predicted} of ${report.total} images with ${names.join(', ')} -> ${path.relative(io.cwd, report.file)} ` +
          `(${report.failed.length} failed, ${report.seconds.toFixed(1)} s, ${rate.toFixed(1)} images/s)`,
      );
      return 0;
    } finally {
      await embedder.dispose();
    }
  },
});
