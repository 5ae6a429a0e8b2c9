import { VectorTuneError } from '../errors';
import { column, readCsv } from '../io/csv';
import { asMatrix, readNpy } from '../io/npy';
import { EmbeddedStore } from '../store/embedded-store';
import type { VectorRecord } from '../store/types';
import { centreAndNormalise, meanOfRows } from '../vector';
import { RowFilter, rowMatches } from './row-filter';

/**
 * Import of embeddings a team already has (an in-house encoder, a notebook's output): a NumPy `.npy` matrix
 * (N x D) and a CSV that names each row. CSV line i describes matrix row i, unless a row column says otherwise.
 */
export interface ImportOptions {
  npyFile: string;
  csvFile: string;
  storeDir: string;
  /** Name of the model that made the vectors; a store never mixes models. */
  modelId: string;
  idColumn: string;
  /** Column holding each row's source file (optional; shown in the panel and reports). */
  pathColumn?: string;
  /** Column holding the matrix row index of each CSV line, when the CSV is not in matrix order. */
  rowColumn?: string;
  /** Import only the CSV lines that match (e.g. split=train). */
  where?: RowFilter[];
  /** Subtract the mean before normalising: post-ReLU CNN features point into one orthant and need it. */
  centre: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ImportReport {
  imported: number;
  skipped: { id: string; reason: string }[];
  centred: boolean;
}

const CHUNK_ROWS = 8192;

export async function importEmbeddings(options: ImportOptions): Promise<ImportReport> {
  const matrix = asMatrix(await readNpy(options.npyFile), options.npyFile);
  const csv = await readCsv(options.csvFile);
  const ids = column(csv, options.idColumn, options.csvFile);
  const paths = options.pathColumn ? column(csv, options.pathColumn, options.csvFile) : undefined;
  const rowIndex = options.rowColumn
    ? column(csv, options.rowColumn, options.csvFile).map((v, i) => parseRowIndex(v, i, matrix.rows, options))
    : ids.map((_, i) => i);
  if (!options.rowColumn && csv.rows.length !== matrix.rows) {
    throw new VectorTuneError(
      `the CSV has ${csv.rows.length} data lines but ${options.npyFile} has ${matrix.rows} rows; they must match line for line.`,
      options.csvFile,
      "Give one CSV line per matrix row, or a --row-column naming each line's row.",
    );
  }
  for (const f of options.where ?? []) column(csv, f.column, options.csvFile); // refused even when the CSV has no lines
  const selected = csv.rows
    .map((_, i) => i)
    .filter((i) => rowMatches(csv.header, csv.rows[i], options.where ?? [], options.csvFile));
  checkUniqueIds(
    selected.map((i) => ids[i]),
    options.csvFile,
    options.idColumn,
  );
  if (options.rowColumn) checkUniqueRows(selected, rowIndex, options);

  const existed = await EmbeddedStore.exists(options.storeDir);
  const mean = options.centre
    ? meanOfSelected(
        matrix.data,
        matrix.dim,
        selected.map((i) => rowIndex[i]),
      )
    : null;
  const store = await EmbeddedStore.openOrCreate(options.storeDir, {
    modelId: options.modelId,
    dimension: matrix.dim,
    centringMean: mean,
  });
  if (existed && options.centre !== (store.info.centringMean !== null)) {
    throw new VectorTuneError(
      `this store was created ${store.info.centringMean ? 'with' : 'without'} centring; an import ${options.centre ? 'with' : 'without'} it would mix two preprocessings.`,
      options.storeDir,
      'Use the same --centre choice as the first import, or another store folder.',
    );
  }
  const report: ImportReport = { imported: 0, skipped: [], centred: store.info.centringMean !== null };
  for (let start = 0; start < selected.length; start += CHUNK_ROWS) {
    const chunk: VectorRecord[] = [];
    for (const i of selected.slice(start, start + CHUNK_ROWS)) {
      const row = rowIndex[i];
      const vector = centreAndNormalise(
        matrix.data.slice(row * matrix.dim, (row + 1) * matrix.dim),
        store.info.centringMean,
      );
      if (vector.every((v) => v === 0)) {
        report.skipped.push({
          id: ids[i],
          reason: `row ${row} is ${options.centre ? 'equal to the mean' : 'all zeros'}: it has no direction`,
        });
        continue;
      }
      chunk.push({ id: ids[i], path: paths?.[i] || undefined, vector });
    }
    await store.upsert(chunk);
    report.imported += chunk.length;
    options.onProgress?.(Math.min(start + CHUNK_ROWS, selected.length), selected.length);
  }
  await store.close();
  return report;
}

function meanOfSelected(data: Float32Array, dim: number, rows: number[]): Float32Array {
  const picked = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => picked.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  return meanOfRows(picked, rows.length, dim);
}

function parseRowIndex(value: string, line: number, rows: number, options: ImportOptions): number {
  // Digits only: Number() would read "" and " " as row 0, and "0x1", "1e0" or "2.0" as rows nobody wrote.
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n >= rows) {
    throw new VectorTuneError(
      `data line ${line + 1}: "${value}" in column "${options.rowColumn}" is not a row index from 0 to ${rows - 1}.`,
      options.csvFile,
    );
  }
  return n;
}

/** Two ids naming one matrix row would import one vector twice: a CSV out of step with its matrix. */
function checkUniqueRows(selected: number[], rowIndex: number[], options: ImportOptions): void {
  const lineOf = new Map<number, number>();
  for (const i of selected) {
    const first = lineOf.get(rowIndex[i]);
    if (first !== undefined) {
      throw new VectorTuneError(
        `data lines ${first + 1} and ${i + 1} both name matrix row ${rowIndex[i]} in column "${options.rowColumn}"; each row can be imported once.`,
        options.csvFile,
      );
    }
    lineOf.set(rowIndex[i], i);
  }
}

function checkUniqueIds(ids: string[], file: string, idColumn: string): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (id === '')
      throw new VectorTuneError(`an empty value in id column "${idColumn}".`, file, 'Every row needs an id.');
    if (seen.has(id))
      throw new VectorTuneError(`id "${id}" appears twice in column "${idColumn}"; ids must be unique.`, file);
    seen.add(id);
  }
}
