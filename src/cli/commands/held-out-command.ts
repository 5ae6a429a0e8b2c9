import * as path from 'node:path';
import {
  checkHeldOutFolder,
  describeHeldOut,
  heldOutFile,
  type HeldOutSpec,
  readHeldOutSpec,
  relativeToHead,
  writeHeldOutSpec,
} from '../../core/eval/held-out-config';
import { HeldOutSet } from '../../core/eval/held-out-set';
import { headPaths } from '../../core/head/head-folder';
import { readWeights } from '../../core/head/weights-file';
import { defineCommand, requirePositional, UsageError } from '../command';
import { headsOptions } from '../common-options';

export const heldOutCommand = defineCommand({
  name: 'held-out',
  summary:
    "Set, show or clear a head's held-out set (held-out.json in the head's folder, committed with it): " +
    '`tune` (and the VS Code panel) measure the head on it every few rounds and show the AP trend. ' +
    'The data are what `eval` takes: a folder of images in class sub-folders, or an .npy with a CSV and a label column.',
  args: '<head-name>',
  options: {
    ...headsOptions,
    folder: { type: 'string', description: 'Images in class sub-folders (embedded once per tuning run).' },
    npy: { type: 'string', description: 'Raw embeddings of the held-out records (with --csv).' },
    csv: { type: 'string', description: 'CSV naming the --npy rows, with their labels.' },
    'id-column': { type: 'string', description: 'CSV column with ids (with --npy).', default: 'path' },
    'label-column': { type: 'string', description: 'CSV column with class labels (with --npy).' },
    where: { type: 'string', multiple: true, description: 'Use only CSV lines where column=value (repeatable).' },
    positive: { type: 'string', description: 'The positive class: a sub-folder name, or a label value.' },
    clear: { type: 'boolean', description: "Remove the head's held-out set." },
  },
  examples: [
    'vector-tune held-out hat --folder held-out --positive hat',
    'vector-tune held-out hat --npy feats.npy --csv feats.csv --where split=test --label-column label --positive hat',
    'vector-tune held-out hat            # shows it',
  ],
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the head's name", 'held-out');
    const v = parsed.values;
    const paths = headPaths(path.resolve(io.cwd, v.heads!), name);
    const weights = await readWeights(paths.weights); // the head must exist, and an .npy must be of its model
    const file = path.relative(io.cwd, heldOutFile(paths.dir));
    if (v.clear) {
      if (v.folder || v.npy) throw new UsageError('--clear takes no data options.');
      await writeHeldOutSpec(paths.dir, null);
      io.out(`removed ${file}`);
      return 0;
    }
    if (!v.folder && !v.npy) {
      const spec = await readHeldOutSpec(paths.dir);
      io.out(spec ? `${file}: ${describeHeldOut(spec)}` : `head "${name}" has no held-out set.`);
      return 0;
    }
    const spec = specOf(v, paths.dir, io.cwd);
    if (spec.kind === 'folder') await checkHeldOutFolder(paths.dir, spec);
    else {
      const set = await HeldOutSet.fromSpec(paths.dir, spec, weights, { root: io.cwd });
      io.out(`${set.size} records, now ${describeFigures(set.measure(weights, 0))}`);
    }
    await writeHeldOutSpec(paths.dir, spec);
    io.out(`wrote ${file}: ${describeHeldOut(spec)} (commit it with the head)`);
    return 0;
  },
});

type Values = Parameters<(typeof heldOutCommand)['run']>[0]['values'];

function specOf(v: Values, headDir: string, cwd: string): HeldOutSpec {
  if (v.folder && v.npy) throw new UsageError('give either --folder or --npy, not both.');
  if (!v.positive) throw new UsageError('--positive is required: the class sub-folder, or the label value.');
  const rel = (p: string) => relativeToHead(headDir, path.resolve(cwd, p));
  if (v.folder) return { kind: 'folder', folder: rel(v.folder), positive: v.positive };
  if (!v.csv || !v['label-column']) throw new UsageError('--npy needs --csv and --label-column.');
  return {
    kind: 'embeddings',
    npy: rel(v.npy!),
    csv: rel(v.csv),
    idColumn: v['id-column']!,
    labelColumn: v['label-column'],
    positive: v.positive,
    where: v.where,
  };
}

function describeFigures(f: { averagePrecision: number | null; n: number; positives: number }): string {
  return `AP ${f.averagePrecision === null ? 'n/a' : f.averagePrecision.toFixed(4)} (${f.positives} positive of ${f.n})`;
}
