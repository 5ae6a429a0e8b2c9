import { VectorTuneError } from '../errors';
import { checkFinite } from '../io/npy';
import { NpyReader } from '../io/npy-reader';
import { EmbeddedStore } from '../store/embedded-store';
import type { VectorRecord } from '../store/types';
import { centreAndScale } from '../vector';
import { type ImportLines, readImportLines } from './import-lines';
import type { RowFilter } from './row-filter';

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
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  /** `checking`: every value of the matrix is read before anything is written; `importing`: rows are written. */
  phase: 'checking' | 'importing';
  done: number;
  total: number;
  rowsPerSecond: number;
  secondsLeft: number;
}

export interface ImportReport {
  imported: number;
  /** Rows the store already held with the same vector and path (an import run again, or resumed). */
  unchanged: number;
  skipped: { id: string; reason: string }[];
  centred: boolean;
}

/** Matrix rows read, checked and written per step (16 MiB of 512-d float32); each step is one store commit. */
const CHUNK_ROWS = 8192;
/** Replaced rows gathered before the store is rewritten with them: each rewrite copies the whole store. */
const REPLACE_ROWS = 65536;

/**
 * Streams the import: the CSV is read in batches (import-lines.ts) and the matrix in blocks of rows (npy-reader.ts),
 * so neither is ever in memory whole. First every value of the matrix is checked (and the mean of the selected rows
 * taken, for a new centred store): bad input is refused before anything is written. Then the selected rows are
 * appended in CSV order, a commit per block, so an interrupted import leaves whole blocks, and running it again
 * resumes: rows the store already holds unchanged are skipped. Rows whose id the store holds with another vector or
 * path replace them, gathered into few rewrites.
 */
export async function importEmbeddings(options: ImportOptions): Promise<ImportReport> {
  const reader = await NpyReader.open(options.npyFile);
  try {
    const lines = await readImportLines(options, reader.rows, options.npyFile);
    const creating = !(await EmbeddedStore.exists(options.storeDir));
    const mean = await checkMatrix(reader, lines, options.centre && creating, progress(options, 'checking'));
    const store = await EmbeddedStore.openOrCreate(
      options.storeDir,
      { modelId: options.modelId, dimension: reader.dim, centringMean: mean },
      { search: false },
    );
    try {
      if (options.centre !== (store.info.centringMean !== null)) {
        throw new VectorTuneError(
          `this store was created ${store.info.centringMean ? 'with' : 'without'} centring; an import ${options.centre ? 'with' : 'without'} it would mix two preprocessings.`,
          options.storeDir,
          'Use the same --centre choice as the first import, or another store folder.',
        );
      }
      return await writeRows(reader, lines, store, options);
    } finally {
      await store.close();
    }
  } finally {
    await reader.close();
  }
}

async function writeRows(
  reader: NpyReader,
  lines: ImportLines,
  store: EmbeddedStore,
  options: ImportOptions,
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, unchanged: 0, skipped: [], centred: store.info.centringMean !== null };
  const d = reader.dim;
  const tick = progress(options, 'importing');
  let replacements: VectorRecord[] = [];
  const total = lines.ids.length;
  const read = (start: number) => readAhead(reader.readRows(lines.rows.slice(start, start + CHUNK_ROWS)));
  // The next block is read while this one is written: the disk and the processor work at the same time.
  let next = total > 0 ? read(0) : undefined;
  for (let start = 0; start < total; start += CHUNK_ROWS) {
    const end = Math.min(start + CHUNK_ROWS, total);
    const block = await next!;
    next = end < total ? read(end) : undefined;
    const fresh: VectorRecord[] = [];
    const known: VectorRecord[] = [];
    for (let i = start; i < end; i++) {
      const vector = block.subarray((i - start) * d, (i - start + 1) * d);
      if (centreAndScale(vector, store.info.centringMean) === 0) {
        const what = options.centre ? 'equal to the mean' : 'all zeros';
        report.skipped.push({ id: lines.ids[i], reason: `row ${lines.rows[i]} is ${what}: it has no direction` });
        continue;
      }
      const record = { id: lines.ids[i], path: lines.paths[i], vector };
      (store.has(record.id) ? known : fresh).push(record);
    }
    await store.upsert(fresh);
    const changed = await changedRecords(store, known);
    replacements.push(...changed);
    report.imported += fresh.length + changed.length;
    report.unchanged += known.length - changed.length;
    if (replacements.length >= REPLACE_ROWS) {
      await store.upsert(replacements);
      replacements = [];
    }
    tick(end, total);
  }
  await store.upsert(replacements);
  return report;
}

/**
 * A read started before the previous block is handled: if handling it throws first, this read's own failure must
 * not end the process as an unhandled rejection (awaiting the returned promise still throws it).
 */
function readAhead<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}

/** Of records whose ids the store holds, those it holds with another vector (bit for bit) or path. */
async function changedRecords(store: EmbeddedStore, records: VectorRecord[]): Promise<VectorRecord[]> {
  if (records.length === 0) return [];
  const held = new Map((await store.fetch(records.map((r) => r.id))).map((r) => [r.id, r]));
  return records.filter((r) => {
    const h = held.get(r.id)!;
    const a = new Uint32Array(r.vector.buffer, r.vector.byteOffset, r.vector.length);
    const b = new Uint32Array(h.vector.buffer, h.vector.byteOffset, h.vector.length);
    return h.path !== r.path || a.some((bits, i) => bits !== b[i]);
  });
}

/**
 * Reads every row of the matrix and refuses a non-finite value, naming its row and column; with `mean`, also returns
 * the mean of the selected rows (summed in CSV order, in float64), else null.
 */
async function checkMatrix(
  reader: NpyReader,
  lines: ImportLines,
  mean: boolean,
  tick: (done: number, total: number) => void,
): Promise<Float32Array | null> {
  const d = reader.dim;
  const sum = new Float64Array(d);
  // Without a row column the selected rows increase, so summing them as the matrix streams past keeps CSV order.
  const inOrder = lines.rows.every((row, i) => i === 0 || row > lines.rows[i - 1]);
  let nextLine = 0; // the next selected line, when in order
  // Two buffers, taking turns: one is checked while the next block is read into the other.
  const buffers = [0, 1].map(() => new Float32Array(Math.min(CHUNK_ROWS, reader.rows) * d));
  const read = (start: number) =>
    readAhead(reader.readRange(start, Math.min(CHUNK_ROWS, reader.rows - start), buffers[(start / CHUNK_ROWS) % 2]));
  let nextBlock = read(0);
  for (let start = 0; start < reader.rows; start += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, reader.rows - start);
    const block = await nextBlock;
    if (start + n < reader.rows) nextBlock = read(start + n); // read ahead while this block is checked
    checkFinite(block, start, d, reader.file);
    for (; mean && inOrder && nextLine < lines.rows.length && lines.rows[nextLine] < start + n; nextLine++)
      addRow(sum, block, lines.rows[nextLine] - start, d);
    tick(start + n, reader.rows);
  }
  if (!mean) return null;
  if (!inOrder) {
    for (let start = 0; start < lines.rows.length; start += CHUNK_ROWS) {
      const rows = lines.rows.slice(start, start + CHUNK_ROWS);
      const block = await reader.readRows(rows);
      rows.forEach((_, i) => addRow(sum, block, i, d));
    }
  }
  return Float32Array.from(sum, (s) => (lines.rows.length > 0 ? s / lines.rows.length : 0));
}

function addRow(sum: Float64Array, block: Float32Array, row: number, d: number): void {
  for (let j = 0; j < d; j++) sum[j] += block[row * d + j];
}

/** A progress reporter for one phase: rows done of total, their rate, and the time left at that rate. */
function progress(options: ImportOptions, phase: ImportProgress['phase']): (done: number, total: number) => void {
  const started = performance.now();
  return (done, total) => {
    const seconds = (performance.now() - started) / 1000;
    const rowsPerSecond = seconds > 0 ? done / seconds : 0;
    const secondsLeft = rowsPerSecond > 0 ? (total - done) / rowsPerSecond : 0;
    options.onProgress?.({ phase, done, total, rowsPerSecond, secondsLeft });
  };
}
