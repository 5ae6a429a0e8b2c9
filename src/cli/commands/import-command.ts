import * as path from 'node:path';
import { importEmbeddings, type ImportProgress } from '../../core/ingest/import-embeddings';
import { parseRowFilter } from '../../core/ingest/row-filter';
import { defineCommand, requirePositional } from '../command';
import { storeOptions } from '../common-options';

export const importCommand = defineCommand({
  name: 'import',
  summary:
    'Import embeddings you already have (an .npy matrix, N x D, float32/float16/float64) with a CSV naming each row.',
  args: '<embeddings.npy>',
  options: {
    ...storeOptions,
    csv: { type: 'string', description: 'CSV with one line per matrix row (header line first).' },
    'model-id': {
      type: 'string',
      description: 'Name of the model that made the vectors (a store never mixes models).',
    },
    'id-column': { type: 'string', description: "CSV column with each row's unique id.", default: 'path' },
    'path-column': { type: 'string', description: "CSV column with each row's source file, if any." },
    'row-column': {
      type: 'string',
      description: "CSV column with each line's matrix row, when the CSV is not in matrix order.",
    },
    where: { type: 'string', multiple: true, description: 'Import only lines where column=value (repeatable).' },
    centre: {
      type: 'boolean',
      description: 'Subtract the mean vector before normalising (recommended for post-ReLU CNN features).',
    },
  },
  examples: [
    'vector-tune import feats.npy --csv feats.csv --model-id mobilenetv2 --id-column path --where split=train --centre',
  ],
  async run(parsed, io) {
    const [npy] = requirePositional(parsed, 1, 'one .npy file', 'import');
    const v = parsed.values;
    if (!v.csv || !v['model-id']) {
      io.err('vector-tune import: --csv and --model-id are required. See: vector-tune import --help');
      return 2;
    }
    let lastLine = 0;
    const report = await importEmbeddings({
      npyFile: path.resolve(io.cwd, npy),
      csvFile: path.resolve(io.cwd, v.csv),
      storeDir: path.resolve(io.cwd, v.store!),
      modelId: v['model-id'],
      idColumn: v['id-column']!,
      pathColumn: v['path-column'],
      rowColumn: v['row-column'],
      where: v.where.map(parseRowFilter),
      centre: v.centre,
      onProgress: (p) => {
        if (Date.now() - lastLine < 2000 && p.done < p.total) return;
        lastLine = Date.now();
        io.err(describeProgress(p));
      },
    });
    const unchanged = report.unchanged > 0 ? `, ${report.unchanged} already there` : '';
    io.out(
      `imported ${report.imported} vectors${report.centred ? ' (centred)' : ''}${unchanged}, skipped ${report.skipped.length}`,
    );
    for (const s of report.skipped) io.out(`skipped ${s.id}: ${s.reason}`);
    return 0;
  },
});

/** A progress line: rows, rows/s and time left, for the check of the matrix and then for the import. */
function describeProgress(p: ImportProgress): string {
  const what = p.phase === 'checking' ? 'checked' : 'imported';
  const rate = Math.round(p.rowsPerSecond).toLocaleString('en');
  return `${what} ${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')} rows (${rate} rows/s, ${Math.ceil(p.secondsLeft)} s left)`;
}
