/**
 * Fuzzing the CSV reader beyond csv.test.ts (which round-trips tables in memory and feeds it garbage):
 * the same tables written in every encoding a spreadsheet or pandas produces (UTF-8 with and without BOM,
 * UTF-16 LE/BE with BOM, CRLF), Latin-1 and random bytes checked against a UTF-8 validator written here,
 * and the two readers of CSV files, `import` (embeddings + a CSV naming each row) and answer sheets (the
 * truth of an evaluation), fed ragged rows, missing columns and odd cells, with the result checked against
 * what the CSV says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { loadTruth } from '../../src/core/eval/truth';
import { importEmbeddings } from '../../src/core/ingest/import-embeddings';
import { decodeText, parseCsv, readCsv, toCsv } from '../../src/core/io/csv';
import { csvBatches } from '../../src/core/io/csv-stream';
import { writeNpy } from '../../src/core/io/npy';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { CaseTally, outcome, outcomeSync } from '../helpers/fuzz-check';
import { tempDir } from '../helpers/temp';

const tally = new CaseTally();
test.after(() => tally.print());

const cell = fc.string({
  unit: fc.constantFrom('a', 'Z', '7', ' ', ',', '"', "'", '\n', '\r\n', '\t', 'é', 'ß', '中', '😀', '\u00a0'),
  maxLength: 6,
});
const tableArb = fc
  .integer({ min: 1, max: 4 })
  .chain((cols) =>
    fc.tuple(
      fc.uniqueArray(cell, { minLength: cols, maxLength: cols }),
      fc.array(fc.array(cell, { minLength: cols, maxLength: cols }), { maxLength: 5 }),
    ),
  );

const ENCODINGS: Record<string, (text: string) => Buffer> = {
  'utf-8': (s) => Buffer.from(s, 'utf8'),
  'utf-8 with BOM': (s) => Buffer.from(`\uFEFF${s}`, 'utf8'),
  'utf-16le with BOM': (s) => Buffer.from(`\uFEFF${s}`, 'utf16le'),
  'utf-16be with BOM': (s) => Buffer.from(`\uFEFF${s}`, 'utf16le').swap16(),
};

/** CSV text with LF (toCsv) or CRLF line ends (each record written alone, then joined). */
function csvText(header: string[], rows: string[][], crlf: boolean): string {
  return crlf ? [header, ...rows].map((r) => toCsv(r, []).slice(0, -1)).join('\r\n') + '\r\n' : toCsv(header, rows);
}

test('fuzz: tables written in UTF-8, UTF-8 with BOM, UTF-16 LE/BE with BOM, LF or CRLF read back unchanged', async (t) => {
  const dir = await tempDir(t, 'vt-fuzz-csv-');
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      tableArb,
      fc.constantFrom(...Object.keys(ENCODINGS)),
      fc.boolean(),
      fc.boolean(),
      async ([header, rows], encoding, crlf, viaFile) => {
        const bytes = ENCODINGS[encoding](csvText(header, rows, crlf));
        const file = path.join(dir, `t${n++}.csv`);
        if (viaFile) await fs.writeFile(file, bytes);
        const result = viaFile
          ? await outcome(() => readCsv(file), file)
          : outcomeSync(() => parseCsv(decodeText(bytes, file), file), file);
        tally.note('csv encodings', result);
        assert.ok(result.ok, result.ok ? '' : result.error.message);
        assert.deepEqual(result.value, { header, rows });
      },
    ),
    { seed: 0x637376, numRuns: 1200, includeErrorInReport: true },
  );
});

/**
 * Where a strict UTF-8 decoder first fails, from the Unicode table of well-formed byte sequences: the offset of
 * the first byte of the first ill-formed sequence, `length` when the only fault is a character cut at the end,
 * or -1 when the bytes are valid.
 */
function firstUtf8Fault(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    const [n, lo, hi] =
      c < 0x80
        ? [1, 0, 0]
        : c >= 0xc2 && c <= 0xdf
          ? [2, 0x80, 0xbf]
          : c === 0xe0
            ? [3, 0xa0, 0xbf]
            : c === 0xed
              ? [3, 0x80, 0x9f]
              : c >= 0xe1 && c <= 0xef
                ? [3, 0x80, 0xbf]
                : c === 0xf0
                  ? [4, 0x90, 0xbf]
                  : c >= 0xf1 && c <= 0xf3
                    ? [4, 0x80, 0xbf]
                    : c === 0xf4
                      ? [4, 0x80, 0x8f]
                      : [0, 0, 0];
    if (n === 0) return i;
    for (let k = 1; k < n; k++) {
      if (i + k >= b.length) return b.length;
      const ok = k === 1 ? b[i + k] >= lo && b[i + k] <= hi : (b[i + k] & 0xc0) === 0x80;
      if (!ok) return i;
    }
    i += n;
  }
  return -1;
}

const utf8Piece = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('a', ',', '\n', '"', 'é', '😀', '中').map((s) => [...Buffer.from(s, 'utf8')]),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('é', 'ü', 'ñ', '©', '\u00a0', 'ÿ', '\u0080').map((s) => [...Buffer.from(s, 'latin1')]),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((b) => [b]) },
);

/** Every row csvBatches gives, as readCsv's table (or the error either refuses with). */
async function readStreamed(file: string, chunkBytes: number): Promise<{ header: string[]; rows: string[][] }> {
  let header: string[] = [];
  const rows: string[][] = [];
  for await (const batch of csvBatches(file, chunkBytes)) {
    header = batch.header;
    rows.push(...batch.rows.map((r) => r.fields));
  }
  return { header, rows };
}

test('fuzz: the streaming reader (import) reads every file as readCsv does, or refuses it too, whatever its chunk size', async (t) => {
  const dir = await tempDir(t, 'vt-fuzz-csv-stream-');
  let n = 0;
  const garbage = fc.array(utf8Piece, { maxLength: 40 }).map((pieces) => Buffer.from(pieces.flat()));
  const text = fc.oneof(
    fc
      .tuple(tableArb, fc.constantFrom(...Object.keys(ENCODINGS)), fc.boolean())
      .map(([[header, rows], encoding, crlf]) => ENCODINGS[encoding](csvText(header, rows, crlf))),
    garbage,
    fc
      .string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', '\r\n', '\0', 'é', '😀'), maxLength: 30 })
      .map((s) => Buffer.from(s)),
  );
  await fc.assert(
    fc.asyncProperty(text, fc.integer({ min: 1, max: 17 }), async (bytes, chunkBytes) => {
      const file = path.join(dir, `s${n++}.csv`);
      await fs.writeFile(file, bytes);
      const whole = await outcome(() => readCsv(file), file);
      const streamed = await outcome(() => readStreamed(file, chunkBytes), file);
      tally.note('csv streamed in chunks', streamed);
      if (whole.ok) {
        assert.deepEqual(streamed.ok && streamed.value, whole.value);
        return;
      }
      assert.ok(!streamed.ok, `read what readCsv refuses: ${whole.error.message}`);
      // Where a file has two faults the two may name different ones: readCsv decodes the whole file, then parses
      // it, then checks the table; the stream does all three a chunk at a time. A bad byte is named alike.
      if (/is not valid UTF-8|holds a NUL character/.test(streamed.error.message))
        assert.equal(streamed.error.message, whole.error.message);
    }),
    { seed: 0x737472, numRuns: 1500, includeErrorInReport: true },
  );
});

test('fuzz: Latin-1 and random bytes are decoded exactly when they are UTF-8, else refused at the right byte and line', () => {
  fc.assert(
    fc.property(fc.array(utf8Piece, { maxLength: 24 }), (pieces) => {
      // Led by "id,": a file starting with the bytes FF FE or FE FF is UTF-16 (tested above), whatever follows.
      const bytes = new Uint8Array([0x69, 0x64, 0x2c, ...pieces.flat()]);
      const result = outcomeSync(() => decodeText(bytes, 'x.csv'), 'x.csv');
      tally.note('csv bytes (UTF-8 check)', result);
      const fault = firstUtf8Fault(bytes);
      if (fault < 0 && !bytes.includes(0)) {
        assert.ok(result.ok && result.value === Buffer.from(bytes).toString('utf8'));
        return;
      }
      assert.ok(!result.ok, `bytes ${Buffer.from(bytes).toString('hex')} should be refused`);
      if (fault === bytes.length) assert.match(result.error.message, /ends in the middle of a character/);
      else if (fault >= 0) {
        const line = bytes.subarray(0, fault).filter((b) => b === 10).length + 1;
        assert.ok(
          result.error.message.includes(`at offset ${fault.toLocaleString('en-US')} (line ${line})`),
          `${result.error.message} (expected offset ${fault})`,
        );
      }
    }),
    { seed: 0x6c6174, numRuns: 2500, includeErrorInReport: true },
  );
});

test('fuzz: UTF-16 without a byte-order mark, or with one and broken units, is refused rather than read as garbage', () => {
  fc.assert(
    fc.property(
      tableArb,
      fc.constantFrom('le', 'be'),
      fc.constantFrom('no BOM', 'odd length', 'lone surrogate'),
      ([header, rows], order, fault) => {
        const units = Buffer.from(
          fault === 'no BOM' ? csvText(header, rows, false) : `\uFEFF${csvText(header, rows, false)}`,
          'utf16le',
        );
        const lone = Buffer.from('\ud800', 'utf16le');
        if (order === 'be') [units, lone].forEach((b) => b.swap16());
        const bytes = Buffer.concat([
          units,
          fault === 'odd length' ? Buffer.from([0x41]) : fault === 'lone surrogate' ? lone : Buffer.alloc(0),
        ]);
        const result = outcomeSync(() => parseCsv(decodeText(bytes, 'x.csv'), 'x.csv'), 'x.csv');
        tally.note('csv UTF-16 faults', result);
        assert.ok(
          !result.ok,
          `${fault} (${order}) should be refused; read ${JSON.stringify(result.ok && result.value)}`,
        );
      },
    ),
    { seed: 0x757466, numRuns: 300, includeErrorInReport: true },
  );
});

// ---------------------------------------------------------------------------------------------------------
// The CSV readers: import (a .npy matrix and a CSV naming its rows) and answer sheets.

const ROWS = 5;
const DIM = 3;
/** Row index cells: the plain indices a correct CSV holds, and what hand edits and other tools leave. */
const ROW_CELLS = ['0', '1', '2', '3', '4', '', ' ', '5', '-1', '2.0', '1e0', '0x1', ' 3', 'NaN', 'two'];
const isRowIndex = (v: string) => /^\s*\d+\s*$/.test(v) && Number(v) < ROWS;

interface ImportCase {
  columns: string[];
  lines: string[][];
  useRowColumn: boolean;
  filter: boolean;
  matrix: number[];
  /** Index of a NaN in the matrix, or -1. */
  nonFinite: number;
  zeroRow: number;
}

const importCaseArb: fc.Arbitrary<ImportCase> = fc
  .record({
    // Usually the columns import needs; sometimes one is missing or misspelt.
    columns: fc.oneof(
      { weight: 10, arbitrary: fc.constant<string[]>(['id', 'row', 'path', 'split']) },
      { weight: 1, arbitrary: fc.shuffledSubarray(['id', 'row', 'path', 'split', 'ID', 'Row']) },
    ),
    lineCount: fc.integer({ min: 0, max: ROWS + 1 }),
    useRowColumn: fc.boolean(),
    filter: fc.boolean(),
    matrix: fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: ROWS * DIM, maxLength: ROWS * DIM }),
    nonFinite: fc.oneof(
      { weight: 10, arbitrary: fc.constant(-1) },
      { weight: 1, arbitrary: fc.nat({ max: ROWS * DIM - 1 }) },
    ),
    zeroRow: fc.integer({ min: -ROWS, max: ROWS - 1 }),
    seed: fc.nat(),
  })
  .chain(({ columns, lineCount, seed: _seed, ...rest }) => {
    const cellFor = (column: string, i: number): fc.Arbitrary<string> =>
      column === 'id'
        ? fc.oneof(
            { weight: 40, arbitrary: fc.constant(`img${i}`) },
            { weight: 1, arbitrary: fc.constantFrom('', 'img0', 'img1') },
          )
        : column === 'row'
          ? fc.oneof(
              { weight: 20, arbitrary: fc.constant(String(ROWS - 1 - i)) },
              { weight: 1, arbitrary: fc.constantFrom(...ROW_CELLS) },
            )
          : column === 'split'
            ? fc.constantFrom('train', 'test')
            : fc.constantFrom('', 'a/b.jpg', `p${i}.png`);
    const line = (i: number) =>
      fc
        .tuple<string[]>(...columns.map((c) => cellFor(c, i)))
        .chain((cells) =>
          fc.oneof(
            { weight: 60, arbitrary: fc.constant(cells) },
            { weight: 1, arbitrary: fc.constant([...cells, 'extra']) },
            { weight: 1, arbitrary: fc.constant(cells.slice(1)) },
          ),
        );
    return (fc.tuple(...Array.from({ length: lineCount }, (_, i) => line(i))) as fc.Arbitrary<string[][]>).map(
      (lines) => ({ columns, lines, ...rest }),
    );
  });

/** The case's matrix, with row `zeroRow` (when not negative) all zeros: a vector with no direction. */
function matrixOf(c: ImportCase): Float32Array {
  const matrix = Float32Array.from(c.matrix);
  if (c.nonFinite >= 0) matrix[c.nonFinite] = NaN;
  if (c.zeroRow >= 0) matrix.fill(0, c.zeroRow * DIM, (c.zeroRow + 1) * DIM);
  return matrix;
}

/** What import must do with a case: the (id, path, matrix row) it stores, or null when it must refuse. */
function expectedImport(c: ImportCase): { id: string; path?: string; row: number }[] | null {
  if (c.lines.some((l) => l.length !== c.columns.length)) return null; // ragged
  const col = (name: string) => c.columns.indexOf(name);
  const needed = ['id', ...(c.useRowColumn ? ['row'] : []), ...(c.filter ? ['split'] : [])];
  if (needed.some((name) => col(name) < 0)) return null;
  if (!matrixOf(c).every(Number.isFinite)) return null;
  if (c.useRowColumn ? !c.lines.every((l) => isRowIndex(l[col('row')])) : c.lines.length !== ROWS) return null;
  const picked = c.lines
    .map((l, i) => ({ l, row: c.useRowColumn ? Number(l[col('row')]) : i }))
    .filter(({ l }) => !c.filter || l[col('split')] === 'train');
  const ids = picked.map(({ l }) => l[col('id')]);
  if (ids.includes('') || new Set(ids).size !== ids.length) return null;
  if (new Set(picked.map((p) => p.row)).size !== picked.length) return null; // two ids for one vector
  return picked
    .filter(({ row }) => row !== c.zeroRow)
    .map(({ l, row }) => ({
      id: l[col('id')],
      path: col('path') >= 0 && l[col('path')] !== '' ? l[col('path')] : undefined,
      row,
    }));
}

test('fuzz: import reads ragged rows, missing columns and odd row cells as the CSV says, or refuses', async (t) => {
  const dir = await tempDir(t, 'vt-fuzz-import-');
  let n = 0;
  await fc.assert(
    fc.asyncProperty(importCaseArb, async (c) => {
      const caseDir = path.join(dir, `case-${n++}`);
      await fs.mkdir(caseDir);
      const npyFile = path.join(caseDir, 'x.npy');
      const csvFile = path.join(caseDir, 'rows.csv');
      const storeDir = path.join(caseDir, 'store');
      const matrix = matrixOf(c);
      await writeNpy(npyFile, ROWS, DIM, matrix);
      await fs.writeFile(csvFile, [c.columns, ...c.lines].map((l) => l.join(',')).join('\n') + '\n');
      const result = await outcome(
        () =>
          importEmbeddings({
            npyFile,
            csvFile,
            storeDir,
            modelId: 'm',
            idColumn: 'id',
            pathColumn: c.columns.includes('path') ? 'path' : undefined,
            rowColumn: c.useRowColumn ? 'row' : undefined,
            where: c.filter ? [{ column: 'split', value: 'train' }] : undefined,
            centre: false,
          }),
        caseDir,
      );
      tally.note('csv for import', result);
      const expected = expectedImport(c);
      const what = `${JSON.stringify(c.columns)} ${JSON.stringify(c.lines)} row column: ${c.useRowColumn}, filter: ${c.filter}`;
      if (!expected) {
        assert.ok(!result.ok, `should refuse ${what}`);
        assert.ok(
          !(await EmbeddedStore.exists(storeDir)) || (await (await EmbeddedStore.open(storeDir)).count()) === 0,
          'a refused import stores nothing',
        );
        return;
      }
      assert.ok(result.ok, `should import ${what}: ${result.ok ? '' : result.error.message}`);
      const store = await EmbeddedStore.open(storeDir);
      assert.equal(await store.count(), expected.length, what);
      const fetched = new Map((await store.fetch(expected.map((e) => e.id))).map((r) => [r.id, r]));
      for (const e of expected) {
        const r = fetched.get(e.id);
        assert.ok(r, `${e.id} is stored`);
        assert.equal(r.path, e.path);
        const raw = Array.from(matrix.subarray(e.row * DIM, (e.row + 1) * DIM));
        const norm = Math.hypot(...raw);
        raw.forEach((v, i) =>
          assert.ok(Math.abs(r.vector[i] - v / norm) < 1e-6, `${e.id}: matrix row ${e.row}, column ${i}`),
        );
      }
      await fs.rm(caseDir, { recursive: true });
    }),
    { seed: 0x696d70, numRuns: 150, includeErrorInReport: true },
  );
});

const SCORE_CELLS = [
  '1',
  '-1',
  '0',
  '0.5',
  '-0.25',
  '+1',
  '1e0',
  ' 1 ',
  '',
  ' ',
  'NaN',
  '2',
  '-1.5',
  'yes',
  'Infinity',
  '1,0',
];
const isScore = (v: string) =>
  v.trim() !== '' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(v) && Math.abs(Number(v)) <= 1;

test('fuzz: answer sheets (the truth of an evaluation) give each id its answer, or are refused', async (t) => {
  const dir = await tempDir(t, 'vt-fuzz-truth-');
  const sheetArb = fc.record({
    columns: fc.oneof(
      { weight: 5, arbitrary: fc.constant<string[]>(['id', 'label', 'score']) },
      { weight: 1, arbitrary: fc.shuffledSubarray(['id', 'label', 'score', 'Label']) },
    ),
    byScore: fc.boolean(),
    lines: fc.array(
      fc.tuple(
        fc.constantFrom('hat', 'cap', 'hat ', 'Hat', ''),
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('1', '-1', '0.5') },
          { weight: 1, arbitrary: fc.constantFrom(...SCORE_CELLS) },
        ),
      ),
      { maxLength: 6 },
    ),
    ragged: fc.nat({ max: 12 }),
  });
  let n = 0;
  await fc.assert(
    fc.asyncProperty(sheetArb, async ({ columns, byScore, lines, ragged }) => {
      const file = path.join(dir, `answers-${n++}.csv`);
      // Ids are unique here: what a sheet with one id twice should mean is not settled (see the report on issue 7).
      const rows = lines.map(([label, score], i) =>
        columns.map((c) => (c === 'id' ? `r${i}` : c === 'score' ? score : label)),
      );
      if (ragged < rows.length) rows[ragged].push('extra');
      await fs.writeFile(file, toCsv(columns, rows));
      const sheet = byScore
        ? { file, idColumn: 'id', scoreColumn: 'score' }
        : { file, idColumn: 'id', labelColumn: 'label', positive: 'hat' };
      const result = await outcome(() => loadTruth({ kind: 'answers', sheet }, dir), file);
      tally.note('csv answer sheet', result);
      const valueColumn = byScore ? 'score' : 'label';
      const mustRefuse =
        ragged < rows.length ||
        !columns.includes('id') ||
        !columns.includes(valueColumn) ||
        (byScore && !lines.every(([, s]) => isScore(s))) ||
        // A positive value no line has (a typo, "Hat" for "hat") or no data line at all: refused, not all negative.
        (!byScore && !lines.some(([label]) => label === 'hat'));
      if (mustRefuse) {
        assert.ok(!result.ok, `should refuse ${toCsv(columns, rows)}`);
        return;
      }
      assert.ok(result.ok, result.ok ? '' : result.error.message);
      lines.forEach(([label, score], i) => {
        assert.equal(
          result.value.of({ id: `r${i}`, logit: 0 }),
          byScore ? Number(score) > 0 : label === 'hat',
          `r${i}: ${label} / ${score}`,
        );
      });
      assert.equal(result.value.of({ id: 'not-in-sheet', logit: 0 }), undefined);
    }),
    { seed: 0x747275, numRuns: 400, includeErrorInReport: true },
  );
});
