/**
 * The file `predict` writes: one row per image, its path and, per head, the logit, the probability and the
 * decision. CSV and JSON Lines are appended batch by batch to a temporary file beside the target; Parquet is
 * columnar and written whole at the end. Either way the target appears only when the run ends (renamed into
 * place), so a reader never sees half a file.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { syncDirectory, writeFileAtomic } from '../fs/durable';
import { writing } from '../fs/write-errors';
import { csvRows, toCsv } from '../io/csv';

export type PredictionFormat = 'csv' | 'jsonl' | 'parquet';
const EXTENSIONS: Record<string, PredictionFormat> = { '.csv': 'csv', '.jsonl': 'jsonl', '.parquet': 'parquet' };

export function predictionFormatOf(file: string): PredictionFormat {
  const format = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!format) {
    throw new VectorTuneError(
      'the predictions file must end in .csv, .jsonl or .parquet (its name says its format).',
      file,
    );
  }
  return format;
}

export interface PredictionRow {
  path: string;
  /** Per head, in the file's head order. */
  logits: number[];
}

/** Column names: path, then <head>_logit, <head>_probability, <head>_positive for each head. */
export function predictionColumns(heads: readonly string[]): string[] {
  return ['path', ...heads.flatMap((h) => [`${h}_logit`, `${h}_probability`, `${h}_positive`])];
}

export const sigmoid = (logit: number) => 1 / (1 + Math.exp(-logit));

export class PredictionFile {
  private readonly temporary: string;
  private handle?: fs.FileHandle;
  /** Parquet only: every row, kept until the end. */
  private readonly rows: PredictionRow[] = [];

  private constructor(
    readonly file: string,
    readonly format: PredictionFormat,
    private readonly heads: readonly string[],
    private readonly thresholds: readonly number[],
    private readonly probabilities: readonly ((logit: number) => number)[],
  ) {
    this.temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  }

  /** `probabilities`: each head's map from logit to probability (its calibration; default the sigmoid). */
  static async create(
    file: string,
    heads: readonly string[],
    thresholds: readonly number[],
    probabilities: readonly ((logit: number) => number)[] = heads.map(() => sigmoid),
  ): Promise<PredictionFile> {
    const out = new PredictionFile(file, predictionFormatOf(file), heads, thresholds, probabilities);
    if (out.format !== 'parquet') {
      await writing(file, async () => {
        await fs.mkdir(path.dirname(file), { recursive: true });
        out.handle = await fs.open(out.temporary, 'w');
        if (out.format === 'csv') await out.handle.write(toCsv(predictionColumns(heads), []));
      });
    }
    return out;
  }

  async append(rows: PredictionRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.format === 'parquet') {
      this.rows.push(...rows);
      return;
    }
    const text =
      this.format === 'csv'
        ? csvRows(rows.map((r) => this.csvFields(r)))
        : rows.map((r) => JSON.stringify(this.record(r))).join('\n') + '\n';
    await writing(this.file, () => this.handle!.write(text));
  }

  /** Moves the finished file into place. */
  async finish(): Promise<void> {
    if (this.format === 'parquet') {
      const { parquetWriteBuffer } = await import('hyparquet-writer');
      const columns = predictionColumns(this.heads);
      const columnData = columns.map((name, c) => ({
        name,
        data: this.rows.map((r) => this.record(r)[name]),
        type: c === 0 ? ('STRING' as const) : c % 3 === 0 ? ('BOOLEAN' as const) : ('DOUBLE' as const),
      }));
      await writeFileAtomic(this.file, new Uint8Array(parquetWriteBuffer({ columnData })));
      return;
    }
    await writing(this.file, async () => {
      await this.handle!.sync();
      await this.handle!.close();
      this.handle = undefined;
      await fs.rename(this.temporary, this.file);
      await syncDirectory(path.dirname(this.file));
    });
  }

  /** A run that failed leaves no temporary file behind (and no target). */
  async discard(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await fs.rm(this.temporary, { force: true });
  }

  private record(row: PredictionRow): Record<string, string | number | boolean> {
    const record: Record<string, string | number | boolean> = { path: row.path };
    this.heads.forEach((head, h) => {
      const logit = row.logits[h];
      record[`${head}_logit`] = logit;
      record[`${head}_probability`] = this.probabilities[h](logit);
      record[`${head}_positive`] = logit > this.thresholds[h];
    });
    return record;
  }

  private csvFields(row: PredictionRow): string[] {
    return [
      row.path,
      ...this.heads.flatMap((_, h) => {
        const logit = row.logits[h];
        return [logit.toFixed(6), this.probabilities[h](logit).toFixed(6), String(logit > this.thresholds[h])];
      }),
    ];
  }
}
