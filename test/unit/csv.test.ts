import { test } from 'node:test';
import { sharedData } from '../helpers/temp';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { VectorTuneError } from '../../src/core/errors';
import { column, parseCsv, readCsv, toCsv } from '../../src/core/io/csv';

const EMBEDDINGS = sharedData('embeddings');

function refuses(fn: () => unknown, ...expected: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VectorTuneError, `expected a VectorTuneError, got ${String(e)}`);
    assert.ok(e.message.startsWith('x.csv: '), e.message);
    for (const s of expected) assert.ok(e.message.includes(s), `"${e.message}" should include "${s}"`);
    return true;
  });
}

test('parses RFC 4180: quotes, doubled quotes, line breaks in quotes, CRLF/LF/CR, BOM, blank lines', () => {
  assert.deepEqual(parseCsv('a,b\n1,2', 'x.csv'), { header: ['a', 'b'], rows: [['1', '2']] });
  assert.deepEqual(parseCsv('\uFEFFa,b\r\n1,2\r\n\r\n\n', 'x.csv'), { header: ['a', 'b'], rows: [['1', '2']] });
  assert.deepEqual(parseCsv('a,b\r3,4\r', 'x.csv').rows, [['3', '4']]);
  const tricky = 'name,note\n"Smith, J","said ""hi""\nthen left"\n"",\n x , 5" screen\n"a\r\nb",é😀\n';
  assert.deepEqual(parseCsv(tricky, 'x.csv').rows, [
    ['Smith, J', 'said "hi"\nthen left'],
    ['', ''],
    [' x ', ' 5" screen'],
    ['a\r\nb', 'é😀'],
  ]);
  // Blank lines are skipped; a quoted empty field is a value, not a blank line.
  assert.deepEqual(parseCsv('id\n1\n\n2\n""\n', 'x.csv').rows, [['1'], ['2'], ['']]);
  assert.deepEqual(parseCsv(',path\n0,a.jpg', 'x.csv').header, ['', 'path']); // pandas' index column
  assert.deepEqual(parseCsv('a,b\n', 'x.csv'), { header: ['a', 'b'], rows: [] });
});

test('refuses malformed CSV, naming the line', () => {
  refuses(() => parseCsv('a,b\n1,2\n3,"four\n5,6\n', 'x.csv'), 'line 3: a quoted field is never closed');
  refuses(() => parseCsv('a,b,c\n"x\ny",2,3\n4,5\n', 'x.csv'), 'line 4 has 2 fields, but the header has 3 columns');
  refuses(() => parseCsv('a,b\n1,2,3\n', 'x.csv'), 'line 2 has 3 fields, but the header has 2 columns');
  refuses(() => parseCsv('a,b\r\n\r\n1\r\n', 'x.csv'), 'line 3 has 1 field,');
  refuses(() => parseCsv('a,b\n"1"2,3\n', 'x.csv'), 'line 2: unexpected text after a closing quote: "2,3\\n"');
  refuses(() => parseCsv('', 'x.csv'), 'is empty');
  refuses(() => parseCsv('\uFEFF\n\r\n', 'x.csv'), 'is empty');
  refuses(() => parseCsv('row,path,row\n', 'x.csv'), 'line 1: the header names column "row" twice (columns 1 and 3)');
});

test('column finds a column or lists the ones there are', () => {
  const csv = parseCsv('row,path,label\n0,a.jpg,hat\n1,b.jpg,skirt\n', 'x.csv');
  assert.deepEqual(column(csv, 'label', 'x.csv'), ['hat', 'skirt']);
  refuses(() => column(csv, 'Label', 'x.csv'), 'has no column "Label"; its columns are "row", "path", "label".');
});

test('toCsv quotes only where needed', () => {
  assert.equal(
    toCsv(
      ['a', 'b'],
      [
        ['1', 'x,y'],
        ['say "hi"', 'two\nlines'],
        ['', ' '],
      ],
    ),
    'a,b\n1,"x,y"\n"say ""hi""","two\nlines"\n, \n',
  );
  assert.equal(toCsv(['only'], [[''], ['\uFEFFx']]), 'only\n""\n"\uFEFFx"\n');
});

test('readCsv reads the real CSVs; refuses invalid UTF-8 with the line; decodes UTF-16', async () => {
  const clothing = await readCsv(path.join(EMBEDDINGS, 'clothing-mobilenetv2.csv'));
  assert.deepEqual(clothing.header, ['row', 'path', 'split', 'label']);
  assert.equal(clothing.rows.length, 3781);
  assert.ok(column(clothing, 'row', 'x.csv').every((r, i) => r === String(i)));
  const labels = column(clothing, 'label', 'x.csv');
  assert.deepEqual(
    [labels.filter((l) => l === 'hat').length, labels.filter((l) => l === 't-shirt').length],
    [149, 928],
  );
  assert.deepEqual(clothing.rows[3780], [
    '3780',
    'validation/t-shirt/fd815439-7fee-40c7-8175-2f32596eb578.jpg',
    'validation',
    't-shirt',
  ]);
  const cifar = await readCsv(path.join(EMBEDDINGS, 'cifar10-test-mobilenetv2.csv'));
  assert.deepEqual(
    [cifar.header, cifar.rows.length, cifar.rows[9999]],
    [['row', 'path', 'label'], 10000, ['9999', 'truck/0999.jpg', 'truck']],
  );

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'csv-test-'));
  try {
    const write = async (name: string, bytes: Uint8Array) => (
      await fs.writeFile(path.join(dir, name), bytes),
      path.join(dir, name)
    );
    const latin1 = await write('latin1.csv', Buffer.from('a,b\n1,2\ncaf\xe9,3\n', 'latin1'));
    await assert.rejects(
      readCsv(latin1),
      (e: unknown) =>
        e instanceof VectorTuneError &&
        e.message ===
          `${latin1}: is not valid UTF-8: byte 0xe9 at offset 11 (line 3). Save it as UTF-8 (in Excel: "CSV UTF-8").`,
    );
    const mid = await write('mid.csv', Buffer.from([0x61, 0x0a, 0xc3, 0xa9, 0xff, 0x0a, 0xe2, 0x82, 0x41]));
    await assert.rejects(readCsv(mid), /byte 0xff at offset 4 \(line 2\)/);
    const cut = await write('cut.csv', Buffer.from('a\n😀', 'utf8').subarray(0, 4));
    await assert.rejects(readCsv(cut), /ends in the middle of a character/);
    const text = '\uFEFFa,b\n"é,😀",2\n';
    const le = await write('le.csv', Buffer.from(text, 'utf16le'));
    const be = await write('be.csv', Buffer.from(text, 'utf16le').swap16());
    for (const f of [le, be]) assert.deepEqual(await readCsv(f), { header: ['a', 'b'], rows: [['é,😀', '2']] });
    await assert.rejects(readCsv(path.join(dir, 'none.csv')), /none\.csv: does not exist/);
  } finally {
    await fs.rm(dir, { recursive: true });
  }
});

test('property: random tables round-trip through toCsv and parseCsv; garbage parses or is refused', () => {
  let runs = 0;
  const cell = fc.string({
    unit: fc.constantFrom('a', 'B', ' ', ',', '"', '\n', '\r', '\r\n', 'é', '😀', '\uFEFF', '\t'),
    maxLength: 8,
  });
  const anyCell = fc.oneof(cell, fc.string({ unit: 'binary', maxLength: 8 }));
  const table = fc
    .integer({ min: 1, max: 5 })
    .chain((cols) =>
      fc.tuple(
        fc.uniqueArray(anyCell, { minLength: cols, maxLength: cols }),
        fc.array(fc.array(anyCell, { minLength: cols, maxLength: cols }), { maxLength: 6 }),
      ),
    );
  fc.assert(
    fc.property(table, fc.boolean(), ([header, rows], crlf) => {
      runs++;
      // toCsv ends records with LF; rebuild record by record to end them with CRLF instead.
      const text = crlf ? [header, ...rows].map((r) => toCsv(r, []).slice(0, -1)).join('\r\n') : toCsv(header, rows);
      assert.deepEqual(parseCsv(text, 'x.csv'), { header, rows });
    }),
    { numRuns: 1500 },
  );
  const garbage = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', '\uFEFF'), maxLength: 30 });
  let refused = 0;
  fc.assert(
    fc.property(fc.oneof(garbage, fc.string({ unit: 'binary' })), (text) => {
      runs++;
      try {
        const { header, rows } = parseCsv(text, 'x.csv');
        assert.ok(rows.every((r) => r.length === header.length));
      } catch (e) {
        if (!(e instanceof VectorTuneError)) throw e;
        refused++;
      }
    }),
    { numRuns: 3000 },
  );
  console.log(`csv property cases: ${runs} (${refused} garbage inputs refused)`);
  assert.ok(refused > 0);
});
