import { VectorTuneError } from '../errors';
import { csvBatches } from '../io/csv-stream';
import { columnIndex } from '../io/csv';
import { filterColumn, type RowFilter } from './row-filter';

/** What an import reads of its CSV: the columns that name and select its rows. */
export interface LinesSpec {
  csvFile: string;
  idColumn: string;
  pathColumn?: string;
  rowColumn?: string;
  where?: RowFilter[];
}

/** The CSV lines an import takes (those its filters select), in CSV order. */
export interface ImportLines {
  ids: string[];
  /** Each line's source file, or undefined (no path column, or an empty cell). */
  paths: (string | undefined)[];
  /** The matrix row each line names. */
  rows: number[];
}

/**
 * Reads the import's CSV a batch at a time (csv-stream.ts) and keeps only what the import needs of each selected
 * line: its id, path and matrix row. Everything a CSV can get wrong is refused here, before anything is written:
 * a missing column, an empty or repeated id, a row index out of range or named twice, and (without a row column)
 * a line count that differs from the matrix's rows.
 */
export async function readImportLines(spec: LinesSpec, matrixRows: number, npyFile: string): Promise<ImportLines> {
  const file = spec.csvFile;
  const lines: ImportLines = { ids: [], paths: [], rows: [] };
  const seenIds = new Set<string>();
  const lineOfRow = new Map<number, number>();
  let columns: ReturnType<typeof findColumns> | undefined;
  let line = 0; // data lines so far
  for await (const batch of csvBatches(file)) {
    columns ??= findColumns(batch.header, spec);
    const { id, path, row, filters } = columns;
    for (const { fields } of batch.rows) {
      const index = row === undefined ? line : parseRowIndex(fields[row], line, matrixRows, spec);
      line++;
      if (!filters.every((f) => fields[f.index] === f.value)) continue;
      const value = fields[id];
      if (value === '')
        throw new VectorTuneError(`an empty value in id column "${spec.idColumn}".`, file, 'Every row needs an id.');
      if (seenIds.has(value))
        throw new VectorTuneError(
          `id "${value}" appears twice in column "${spec.idColumn}"; ids must be unique.`,
          file,
        );
      seenIds.add(value);
      if (row !== undefined) checkRowOnce(lineOfRow, index, line - 1, spec);
      lines.ids.push(value);
      lines.paths.push(path === undefined ? undefined : fields[path] || undefined);
      lines.rows.push(index);
    }
  }
  if (spec.rowColumn === undefined && line !== matrixRows) {
    throw new VectorTuneError(
      `the CSV has ${line} data lines but ${npyFile} has ${matrixRows} rows; they must match line for line.`,
      file,
      "Give one CSV line per matrix row, or a --row-column naming each line's row.",
    );
  }
  return lines;
}

/** Where the id, path, row and filter columns are; any missing one is refused (even when the CSV has no lines). */
function findColumns(header: string[], spec: LinesSpec) {
  const file = spec.csvFile;
  const filters = (spec.where ?? []).map((f) => ({ index: filterColumn(header, f, file), value: f.value }));
  return {
    id: columnIndex(header, spec.idColumn, file),
    path: spec.pathColumn === undefined ? undefined : columnIndex(header, spec.pathColumn, file),
    row: spec.rowColumn === undefined ? undefined : columnIndex(header, spec.rowColumn, file),
    filters,
  };
}

function parseRowIndex(value: string, line: number, rows: number, spec: LinesSpec): number {
  // Digits only: Number() would read "" and " " as row 0, and "0x1", "1e0" or "2.0" as rows nobody wrote.
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n >= rows) {
    throw new VectorTuneError(
      `data line ${line + 1}: "${value}" in column "${spec.rowColumn}" is not a row index from 0 to ${rows - 1}.`,
      spec.csvFile,
    );
  }
  return n;
}

/** Two ids naming one matrix row would import one vector twice: a CSV out of step with its matrix. */
function checkRowOnce(lineOfRow: Map<number, number>, row: number, line: number, spec: LinesSpec): void {
  const first = lineOfRow.get(row);
  if (first !== undefined) {
    throw new VectorTuneError(
      `data lines ${first + 1} and ${line + 1} both name matrix row ${row} in column "${spec.rowColumn}"; each row can be imported once.`,
      spec.csvFile,
    );
  }
  lineOfRow.set(row, line);
}
