import { VectorTuneError } from '../errors';

/** `column=value` conditions on CSV lines (all must hold), e.g. `split=train`. */
export interface RowFilter {
  column: string;
  value: string;
}

export function parseRowFilter(text: string): RowFilter {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new VectorTuneError(`"${text}" is not a filter; write it as column=value (e.g. split=train).`);
  return { column: text.slice(0, eq), value: text.slice(eq + 1) };
}

export function rowMatches(header: string[], row: string[], filters: RowFilter[], file: string): boolean {
  return filters.every((f) => row[filterColumn(header, f, file)] === f.value);
}

/** Where a filter's column is; a filter on a column the CSV lacks is refused with the columns it has. */
export function filterColumn(header: string[], filter: RowFilter, file: string): number {
  const i = header.indexOf(filter.column);
  if (i < 0)
    throw new VectorTuneError(
      `no column "${filter.column}" to filter on; the columns are: ${header.join(', ')}.`,
      file,
    );
  return i;
}
