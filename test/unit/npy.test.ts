import { test } from 'node:test';
import { sharedData } from '../helpers/temp';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { VectorTuneError } from '../../src/core/errors';
import { asMatrix, encodeNpy, parseNpy, readNpy, writeNpy } from '../../src/core/io/npy';
import { float32BitsToHalfBits, float32ToHalfBits, halfToFloat32BitsTable } from '../../src/core/io/float16';

const EMBEDDINGS = sharedData('embeddings');

/** Written by NumPy 2.4 (np.save / np.lib.format.write_array), so these check us against the real thing. */
const NUMPY = {
  // np.arange(6, dtype='<f4').reshape(2, 3)
  c_f4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=',
  // np.asfortranarray of the same
  fortran2d:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=',
  // np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4))
  fortran3d:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQQAAgEAAAIBBAAAAQQAAoEEAAIA/AABQQQAAoEAAAIhBAAAQQQAAqEEAAABAAABgQQAAwEAAAJBBAAAgQQAAsEEAAEBAAABwQQAA4EAAAJhBAAAwQQAAuEE=',
  // SPECIAL.astype('>f2'), 3 x 3
  be_f2:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPmYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo+AIAAfAD8AH4ABAAAAXv/wQA=',
  // SPECIAL.astype('<f8'), format version 2.0
  le_f8_v2:
    'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAACAAAAAAAAA8H8AAAAAAADw/wAAAAAAAPh/AAAAAAAAED8AAAAAAABwPgAAAAAA/O9AAAAAAAAABMA=',
  // np.array([[0.1, -1e-40, 3.4e38]], dtype='>f8')
  be_f8:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/uZmZmZmZmrehbCYnd1ecR+/5M8eM360=',
  // np.array([[0.1, 2]], dtype='>f4'), format version 3.0
  be_f4_v3:
    'k05VTVBZAwB0AAAAeydkZXNjcic6ICc+ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMSwgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo9zMzNQAAAAA==',
  // np.arange(3) (int64)
  i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAA=',
};
const SPECIAL = [1.5, -0, Infinity, -Infinity, NaN, 6.103515625e-5, 5.960464477539063e-8, 65504, -2.5];
const numpy = (name: keyof typeof NUMPY) => new Uint8Array(Buffer.from(NUMPY[name], 'base64'));

/** Builds a .npy by hand (not through encodeNpy), padding to 16 bytes to differ from NumPy's 64. */
function build(dict: string, payload: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const header = Buffer.from(
    dict + ' '.repeat(15 - ((pre + dict.length) % 16)) + '\n',
    version === 3 ? 'utf8' : 'latin1',
  );
  const out = Buffer.alloc(pre + header.length + payload.length);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = version;
  if (version === 1) out.writeUInt16LE(header.length, 8);
  else out.writeUInt32LE(header.length, 8);
  header.copy(out, pre);
  out.set(payload, pre + header.length);
  return new Uint8Array(out);
}
const dict = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

function refuses(fn: () => unknown, ...expected: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VectorTuneError, `expected a VectorTuneError, got ${String(e)}`);
    assert.ok(e.message.startsWith('x.npy: '), e.message);
    for (const s of expected) assert.ok(e.message.includes(s), `"${e.message}" should include "${s}"`);
    return true;
  });
}

function sameValues(actual: Float32Array, expected: number[]): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((v, i) => assert.ok(Object.is(actual[i], v), `index ${i}: ${actual[i]} !== ${v}`));
}

test('reads what NumPy writes: every dtype, byte order, version and Fortran order', () => {
  const c = parseNpy(numpy('c_f4'), 'x.npy');
  assert.deepEqual(c.shape, [2, 3]);
  assert.equal(c.dtype, '<f4');
  sameValues(c.data, [0, 1, 2, 3, 4, 5]);
  // Fortran order is reordered to C order, not refused.
  sameValues(parseNpy(numpy('fortran2d'), 'x.npy').data, [0, 1, 2, 3, 4, 5]);
  const f3 = parseNpy(numpy('fortran3d'), 'x.npy');
  assert.deepEqual(f3.shape, [2, 3, 4]);
  sameValues(
    f3.data,
    Array.from({ length: 24 }, (_, i) => i),
  );
  const f2 = parseNpy(numpy('be_f2'), 'x.npy');
  assert.equal(f2.dtype, '>f2');
  sameValues(f2.data, SPECIAL);
  sameValues(parseNpy(numpy('le_f8_v2'), 'x.npy').data, SPECIAL);
  sameValues(
    parseNpy(numpy('be_f8'), 'x.npy').data,
    [0.10000000149011612, -9.99994610111476e-41, 3.3999999521443642e38],
  );
  sameValues(parseNpy(numpy('be_f4_v3'), 'x.npy').data, [Math.fround(0.1), 2]);
});

test('encodeNpy and writeNpy produce the bytes np.save writes', async () => {
  const data = new Float32Array([0, 1, 2, 3, 4, 5]);
  assert.deepEqual(encodeNpy(2, 3, data), numpy('c_f4'));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'npy-test-'));
  try {
    const file = path.join(dir, 'out.npy');
    const big = Float32Array.from({ length: 300 * 7 }, (_, i) => Math.sin(i));
    await writeNpy(file, 300, 7, big);
    assert.deepEqual(new Uint8Array(await fs.readFile(file)), encodeNpy(300, 7, big));
    const back = await readNpy(file);
    assert.deepEqual(back.shape, [300, 7]);
    assert.deepEqual(back.data, big);
    await assert.rejects(
      readNpy(path.join(dir, 'missing.npy')),
      (e: unknown) => e instanceof VectorTuneError && /missing\.npy: does not exist/.test(e.message),
    );
    await assert.rejects(readNpy(dir), VectorTuneError);
  } finally {
    await fs.rm(dir, { recursive: true });
  }
  assert.throws(() => encodeNpy(2, 3, new Float32Array(5)), RangeError);
});

test('reads the real clothing (float32) and CIFAR-10 (float16) embeddings; values match NumPy', async () => {
  // Reference numbers computed with NumPy 2.4 from the same files.
  const cases = [
    {
      file: 'clothing-mobilenetv2.npy',
      dtype: '<f4',
      rows: 3781,
      zeros: 2508833,
      max: 5.695911407470703,
      total: 444331.75231865764,
      at: [
        [0, 1, 0.033915892243385315],
        [1, 5, 0.013924932107329369],
        [3780, 1279, 0.6593844890594482],
        [3780, 12, 0.9845404624938965],
        [1234, 777, 0],
      ],
      rowSums: [
        [0, 80.54284380736317],
        [100, 131.6767576842576],
        [3780, 119.85611526435969],
      ],
    },
    {
      file: 'cifar10-test-mobilenetv2.npy',
      dtype: '<f2',
      rows: 10000,
      zeros: 8056910,
      max: 5.875,
      total: 1024093.9679840803,
      at: [
        [0, 5, 0.217041015625],
        [1, 5, 0.1627197265625],
        [9999, 1279, 0.1668701171875],
        [9999, 2, 0.0025043487548828125],
        [0, 0, 0],
      ],
      rowSums: [
        [0, 109.22542154788971],
        [100, 95.76868706941605],
        [9999, 153.3930778503418],
      ],
    },
  ];
  for (const c of cases) {
    const file = path.join(EMBEDDINGS, c.file);
    const arr = await readNpy(file);
    assert.equal(arr.dtype, c.dtype);
    const m = asMatrix(arr, file);
    assert.deepEqual([m.rows, m.dim], [c.rows, 1280]);
    let zeros = 0;
    let max = 0;
    let total = 0;
    let bad = 0;
    for (const v of m.data) {
      if (!(v >= 0 && v < Infinity)) bad++; // post-ReLU features are >= 0; NaN fails too
      if (v === 0) zeros++;
      max = Math.max(max, v);
      total += v;
    }
    assert.equal(bad, 0, `${c.file}: values that are negative or not finite`);
    assert.equal(zeros, c.zeros);
    assert.equal(max, c.max);
    assert.ok(Math.abs(total - c.total) < 1e-6 * c.total, `${c.file}: total ${total} vs ${c.total}`);
    for (const [r, col, v] of c.at) assert.equal(m.data[r * 1280 + col], v, `${c.file}[${r}, ${col}]`);
    for (const [r, sum] of c.rowSums) {
      const got = m.data.subarray(r * 1280, (r + 1) * 1280).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(got - sum) < 1e-9 * sum, `${c.file} row ${r}: sum ${got} vs ${sum}`);
    }
    // The in-memory parser (one decode) and the sliced file reader must agree bit for bit.
    const parsed = parseNpy(await fs.readFile(file), file).data;
    assert.equal(Buffer.compare(Buffer.from(parsed.buffer), Buffer.from(arr.data.buffer)), 0);
  }
});

test('float16: all 65,536 halves convert exactly as NumPy does and back', () => {
  const table = halfToFloat32BitsTable();
  // sha256 of np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32).view(np.uint32), little-endian.
  const le = Buffer.alloc(65536 * 4);
  table.forEach((bits, i) => le.writeUInt32LE(bits, i * 4));
  assert.equal(
    createHash('sha256').update(le).digest('hex'),
    'f4fdd084f85448d28c84f20fabf4022ba938e40b7f382d2727dec6f41ac6267a',
  );
  for (let h = 0; h < 65536; h++) assert.equal(float32BitsToHalfBits(table[h]), h, `half 0x${h.toString(16)}`);
  // Rounding of values between halves: to nearest, ties to even, overflow to infinity, underflow to zero.
  const cases: [number, number][] = [
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
    [1 + 2 ** -11 + 2 ** -20, 0x3c01],
    [65519, 0x7bff],
    [65520, 0x7c00],
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [2 ** -25, 0],
    [2 ** -25 * 1.5, 1],
    [3 * 2 ** -25, 2],
    [-(2 ** -26), 0x8000],
    [2 ** -14 - 2 ** -25, 0x400],
  ];
  for (const [x, h] of cases) assert.equal(float32ToHalfBits(x), h, `${x} -> 0x${h.toString(16)}`);
});

test('refuses malformed files with a precise message', () => {
  const f4 = (shape: string, n: number) => build(dict('<f4', shape), new Uint8Array(n));
  refuses(
    () => parseNpy(f4('(3781, 1280)', 9_000_000), 'x.npy'),
    'expected 19,358,720 bytes of <f4 data for shape (3781, 1280), found 9,000,000: the file is truncated.',
  );
  refuses(
    () => parseNpy(f4('(2, 3)', 28), 'x.npy'),
    'expected 24 bytes',
    'found 28: 4 unexpected bytes follow the data',
  );
  refuses(() => parseNpy(new Uint8Array(Buffer.from('hello, world')), 'x.npy'), 'not a .npy file', 'magic');
  refuses(() => parseNpy(new Uint8Array([0x93, 0x4e]), 'x.npy'), 'too short (2 bytes)');
  refuses(() => parseNpy(new Uint8Array(Buffer.from('PK\x03\x04rest')), 'x.npy'), '.npz');
  const v4 = numpy('c_f4');
  v4[6] = 4;
  refuses(() => parseNpy(v4, 'x.npy'), 'format version 4.0');
  refuses(
    () => parseNpy(numpy('c_f4').subarray(0, 60), 'x.npy'),
    'claims a 118-byte .npy header but only 50 bytes follow',
  );
  refuses(() => parseNpy(numpy('i8'), 'x.npy'), "integers (dtype '<i8')");
  refuses(() => parseNpy(build(dict('|O', '(1,)'), new Uint8Array(8)), 'x.npy'), 'Python objects', 'np.save');
  refuses(() => parseNpy(build(dict('<c8', '(1,)'), new Uint8Array(8)), 'x.npy'), "dtype '<c8'");
  refuses(() => parseNpy(build(dict('<f16', '(1,)'), new Uint8Array(16)), 'x.npy'), "dtype '<f16'");
  refuses(
    () =>
      parseNpy(build("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), 'x.npy'),
    'structured',
  );
  refuses(() => parseNpy(f4('(-2, 3)', 0), 'x.npy'), 'invalid shape (-2, 3)', '-2 is negative');
  refuses(() => parseNpy(f4('(0, 1280)', 0), 'x.npy'), 'a dimension is 0');
  refuses(() => parseNpy(f4('(2.5, 3)', 0), 'x.npy'), "'2.5' is not an integer");
  refuses(() => parseNpy(f4('(99999999999, 99999999999)', 0), 'x.npy'), 'implausibly large');
  refuses(() => parseNpy(build("{'descr': '<f4', 'shape': (1,), }", new Uint8Array(4)), 'x.npy'), "no 'fortran_order'");
  refuses(
    () => parseNpy(build("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", new Uint8Array(4)), 'x.npy'),
    "malformed .npy header (expected ',' or '}'",
  );
  refuses(
    () => parseNpy(build(dict('<f4', '(1,)') + ' junk', new Uint8Array(4)), 'x.npy'),
    'unexpected text after the dict',
  );
  refuses(() => parseNpy(build("['descr', '<f4']", new Uint8Array(4)), 'x.npy'), "expected '{'");
  refuses(() => parseNpy(build(dict('<f4', '(1,)').replace("'<f4'", "'<f4"), new Uint8Array(4)), 'x.npy'), 'malformed');
  refuses(
    () => parseNpy(build(dict('<f8', '(2,)'), new Uint8Array(Float64Array.of(1, 1e300).buffer)), 'x.npy'),
    'value 1e+300 at flat index 1 is too large for float32',
  );
  const badUtf8 = build(dict('<f4', '(1,)'), new Uint8Array(4), 3);
  badUtf8[20] = 0xff;
  refuses(() => parseNpy(badUtf8, 'x.npy'), 'not valid UTF-8');
  // Python 2 NumPy wrote longs with an L suffix; version 3.0 headers are UTF-8; a 0-d array has shape ().
  assert.deepEqual(parseNpy(f4('(2L, 3L)', 24), 'x.npy').shape, [2, 3]);
  const v3 = parseNpy(
    build("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'note': 'café', }", new Uint8Array(4), 3),
    'x.npy',
  );
  assert.deepEqual([v3.shape, v3.data.length], [[], 1]);
});

test('asMatrix checks for N x D and finite values, naming the row', () => {
  const ok = asMatrix(parseNpy(numpy('c_f4'), 'x.npy'), 'x.npy');
  assert.deepEqual([ok.rows, ok.dim, Array.from(ok.data)], [2, 3, [0, 1, 2, 3, 4, 5]]);
  refuses(
    () => asMatrix({ shape: [6], dtype: '<f4', data: new Float32Array(6) }, 'x.npy'),
    'shape (6,)',
    'reshape(1, -1)',
  );
  refuses(() => asMatrix(parseNpy(numpy('fortran3d'), 'x.npy'), 'x.npy'), 'shape (2, 3, 4)', 'must be 2-D');
  refuses(
    () => asMatrix(parseNpy(numpy('be_f2'), 'x.npy'), 'x.npy'),
    'row 0 (counting from 0) has the non-finite value Infinity at column 2',
  );
  const nan = new Float32Array(12);
  nan[7] = NaN;
  refuses(() => asMatrix({ shape: [4, 3], dtype: '<f4', data: nan }, 'x.npy'), 'row 2 ', 'NaN at column 1');
});

const matrix = fc
  .record({ rows: fc.integer({ min: 1, max: 9 }), dim: fc.integer({ min: 1, max: 9 }) })
  .chain(({ rows, dim }) =>
    fc.record({
      rows: fc.constant(rows),
      dim: fc.constant(dim),
      values: fc.array(fc.float(), { minLength: rows * dim, maxLength: rows * dim }),
    }),
  );

test('property: random matrices round-trip through f4, f2 and f8 encodings', () => {
  let runs = 0;
  fc.assert(
    fc.property(matrix, ({ rows, dim, values }) => {
      runs++;
      const data = Float32Array.from(values);
      const back = parseNpy(encodeNpy(rows, dim, data), 'x.npy');
      assert.deepEqual(back.shape, [rows, dim]);
      assert.deepEqual(new Uint32Array(back.data.buffer), new Uint32Array(data.buffer)); // bit-exact, NaNs included
    }),
    { numRuns: 300 },
  );
  const halves = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 64 });
  fc.assert(
    fc.property(halves, fc.boolean(), (hs, little) => {
      runs++;
      const payload = Buffer.alloc(hs.length * 2);
      hs.forEach((h, i) => (little ? payload.writeUInt16LE(h, i * 2) : payload.writeUInt16BE(h, i * 2)));
      const back = parseNpy(build(dict(little ? '<f2' : '>f2', `(${hs.length},)`), payload, 2), 'x.npy');
      assert.deepEqual(Array.from(new Uint32Array(back.data.buffer), float32BitsToHalfBits), hs);
    }),
    { numRuns: 300 },
  );
  const doubles = fc.array(fc.double({ min: -3e38, max: 3e38, noNaN: true }), { minLength: 1, maxLength: 32 });
  fc.assert(
    fc.property(doubles, fc.boolean(), (ds, little) => {
      runs++;
      const payload = Buffer.alloc(ds.length * 8);
      ds.forEach((d, i) => (little ? payload.writeDoubleLE(d, i * 8) : payload.writeDoubleBE(d, i * 8)));
      const back = parseNpy(build(dict(little ? '<f8' : '>f8', `(1, ${ds.length})`), payload), 'x.npy');
      assert.deepEqual(Array.from(back.data), ds.map(Math.fround));
    }),
    { numRuns: 300 },
  );
  console.log(`npy round-trip property cases: ${runs}`);
});

test('property: truncated or corrupted files parse to the same shape or throw a VectorTuneError', () => {
  let runs = 0;
  let refused = 0;
  const damage = fc.oneof(
    fc.record({ cut: fc.nat() }),
    fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ extra: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  );
  fc.assert(
    fc.property(matrix, fc.constantFrom('npy', 'f2v2', 'f8v3'), damage, ({ rows, dim, values }, kind, d) => {
      runs++;
      const data = Float32Array.from(values);
      const halves = new Uint16Array(data.length).map((_, i) => float32ToHalfBits(data[i]));
      const valid =
        kind === 'npy'
          ? encodeNpy(rows, dim, data)
          : kind === 'f2v2'
            ? build(dict('<f2', `(${rows}, ${dim})`), new Uint8Array(halves.buffer), 2)
            : build(dict('>f8', `(${rows}, ${dim})`, 'True'), new Uint8Array(data.length * 8), 3);
      let bytes: Uint8Array;
      if ('cut' in d) {
        bytes = valid.subarray(0, d.cut % valid.length);
      } else if ('at' in d) {
        bytes = valid.slice();
        bytes[d.at % bytes.length] = d.byte;
      } else {
        bytes = new Uint8Array([...valid, ...d.extra]);
      }
      try {
        assert.deepEqual(parseNpy(bytes, 'x.npy').shape, [rows, dim]);
      } catch (e) {
        if (!(e instanceof VectorTuneError)) throw e;
        assert.ok(e.message.startsWith('x.npy: '));
        refused++;
      }
    }),
    { numRuns: 3000 },
  );
  console.log(`npy corruption property cases: ${runs} (${refused} refused)`);
  assert.ok(refused > runs / 4, 'most damage should be detected');
});
