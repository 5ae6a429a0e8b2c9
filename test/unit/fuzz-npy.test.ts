/**
 * Fuzzing the .npy reader beyond npy.test.ts (which round-trips matrices and damages valid files): here the
 * header dict itself is generated (key order, quoting, spacing, every dtype NumPy can write, odd shapes,
 * Fortran order, big-endian), the preamble's version and length fields are forged, and readNpy (sliced
 * file reads) is held to the same answer as parseNpy (one buffer). Every accepted file is checked value by
 * value against a decoder written here independently of src/core/io, so "read" always means "read right".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { asMatrix, checkFinite, encodeNpy, parseNpy, readNpy } from '../../src/core/io/npy';
import { NpyReader } from '../../src/core/io/npy-reader';
import { applyDamage, damageArb } from '../helpers/fuzz-bytes';
import { CaseTally, outcome, outcomeSync } from '../helpers/fuzz-check';
import { tempDir } from '../helpers/temp';

const tally = new CaseTally();
test.after(() => tally.print());

const FLOAT_DESCRS = ['<f2', '<f4', '<f8', '>f2', '>f4', '>f8'];
/** What NumPy writes for other arrays, and near misses of the float codes. */
const OTHER_DESCRS = [
  '|f4',
  '=f4',
  'f4',
  '<F4',
  '<f16',
  '<f1',
  '<f3',
  '<i4',
  '>i8',
  '<u2',
  '|b1',
  '|O',
  '<c8',
  '<U5',
  '<M8[ns]',
  '|S3',
  '',
  '<f 4',
];
const GOOD_DIMS = ['1', '2', '3', '4', '2L'];
const BAD_DIMS = ['0', '-1', '2.5', '1e3', 'x', '99999999999999999999', '0x2', 'None'];

interface HeaderSpec {
  version: 1 | 2 | 3;
  descr: string;
  fortran: string;
  dims: string[];
  /** Python writes a trailing comma in a 1-tuple; it may also follow the last dict entry. */
  trailingComma: boolean;
  quote: "'" | '"';
  space: string;
  /** Entries in this order (indices into descr, fortran_order, shape, an extra key); a missing index drops that entry. */
  order: number[];
}

const headerSpecArb: fc.Arbitrary<HeaderSpec> = fc.record({
  version: fc.constantFrom(1 as const, 2 as const, 3 as const),
  descr: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...FLOAT_DESCRS) },
    { weight: 1, arbitrary: fc.constantFrom(...OTHER_DESCRS) },
  ),
  fortran: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom('False', 'True') },
    { weight: 1, arbitrary: fc.constantFrom('false', '0', "'False'", 'None') },
  ),
  dims: fc.array(
    fc.oneof(
      { weight: 15, arbitrary: fc.constantFrom(...GOOD_DIMS) },
      { weight: 1, arbitrary: fc.constantFrom(...BAD_DIMS) },
    ),
    { maxLength: 3 },
  ),
  trailingComma: fc.boolean(),
  quote: fc.constantFrom("'" as const, '"' as const),
  space: fc.constantFrom('', ' ', '  ', '\t'),
  order: fc
    .tuple(
      fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4 }),
      fc.oneof({ weight: 10, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 3) }),
    )
    .map(([all, dropped]) => all.filter((i) => i !== dropped)),
});

function headerText(h: HeaderSpec): string {
  const q = (s: string) => `${h.quote}${s}${h.quote}`;
  const tuple = `(${h.dims.join(`,${h.space}`)}${h.dims.length === 1 ? ',' : ''})`;
  const entries = [
    `${q('descr')}:${h.space}${q(h.descr)}`,
    `${q('fortran_order')}:${h.space}${h.fortran}`,
    `${q('shape')}:${h.space}${tuple}`,
    `${q('note')}:${h.space}${q('ünï')}`,
  ];
  return `{${h.order.map((i) => entries[i]).join(`,${h.space}`)}${h.trailingComma ? ',' : ''}${h.space}}`;
}

/** A .npy file from parts; `lengthField` overrides the header length the preamble states. */
function npyFile(version: number, text: string, payload: Uint8Array, lengthField?: number): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const unpadded = Buffer.from(text, version === 3 ? 'utf8' : 'latin1');
  const header = Buffer.concat([unpadded, Buffer.from(' '.repeat(63 - ((pre + unpadded.length) % 64)) + '\n')]);
  const preamble = Buffer.alloc(pre);
  preamble.write('\x93NUMPY', 'latin1');
  preamble[6] = version;
  if (version === 1) preamble.writeUInt16LE(lengthField ?? header.length, 8);
  else preamble.writeUInt32LE(lengthField ?? header.length, 8);
  return new Uint8Array(Buffer.concat([preamble, header, payload]));
}

/** What a correct reader must make of the spec: the shape and element size, or null when it must refuse. */
function expectedLayout(
  h: HeaderSpec,
): { shape: number[]; itemSize: number; little: boolean; fortran: boolean } | null {
  const has = (i: number) => h.order.includes(i);
  if (!has(0) || !has(1) || !has(2)) return null;
  if (!FLOAT_DESCRS.includes(h.descr) || !['True', 'False'].includes(h.fortran)) return null;
  if (!h.dims.every((d) => GOOD_DIMS.includes(d))) return null;
  return {
    shape: h.dims.map((d) => parseInt(d, 10)),
    itemSize: Number(h.descr[2]),
    little: h.descr[0] === '<',
    fortran: h.fortran === 'True',
  };
}

/** IEEE half to number, straight from the definition (not via src/core/io/float16). */
function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The values in C order, decoded from the payload by Buffer's own readers; null if a float64 overflows float32. */
function expectedValues(payload: Buffer, layout: NonNullable<ReturnType<typeof expectedLayout>>): number[] | null {
  const { shape, itemSize, little, fortran } = layout;
  const count = shape.reduce((a, b) => a * b, 1);
  const stored = Array.from({ length: count }, (_, i) => {
    const at = i * itemSize;
    if (itemSize === 2) return halfValue(little ? payload.readUInt16LE(at) : payload.readUInt16BE(at));
    if (itemSize === 4) return little ? payload.readFloatLE(at) : payload.readFloatBE(at);
    return little ? payload.readDoubleLE(at) : payload.readDoubleBE(at);
  });
  if (stored.some((v) => Number.isFinite(v) && !Number.isFinite(Math.fround(v)))) return null;
  if (!fortran) return stored.map(Math.fround);
  // Fortran order: element (i0, i1, ...) is stored at i0 + i1*s0 + i2*s0*s1 ...
  return Array.from({ length: count }, (_, c) => {
    let rest = c;
    let f = 0;
    const index = shape
      .map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1))
      .map((stride) => {
        const i = Math.floor(rest / stride);
        rest %= stride;
        return i;
      });
    index.forEach((i, k) => (f += i * shape.slice(0, k).reduce((a, b) => a * b, 1)));
    return Math.fround(stored[f]);
  });
}

const sameNumber = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** A header spec with a payload: the right length for the spec (random bits), or a few bytes off. */
const specWithPayloadArb = headerSpecArb.chain((spec) => {
  const layout = expectedLayout(spec);
  const count = layout ? layout.shape.reduce((a, b) => a * b, 1) : 3;
  const bytes = count * (layout?.itemSize ?? 4);
  const doubles = fc.array(fc.double(), { minLength: count, maxLength: count }).map((ds) => {
    const b = Buffer.alloc(count * 8);
    ds.forEach((d, i) => (layout?.little ? b.writeDoubleLE(d, i * 8) : b.writeDoubleBE(d, i * 8)));
    return new Uint8Array(b);
  });
  const exact =
    layout?.itemSize === 8
      ? fc.oneof(doubles, fc.uint8Array({ minLength: bytes, maxLength: bytes }))
      : fc.uint8Array({ minLength: bytes, maxLength: bytes });
  const offBy = fc.integer({ min: -3, max: 3 }).filter((n) => n !== 0 && bytes + n >= 0);
  return fc.tuple(
    fc.constant(spec),
    fc.oneof({ weight: 6, arbitrary: exact }, { weight: 1, arbitrary: offBy.map((n) => new Uint8Array(bytes + n)) }),
  );
});

test('fuzz: generated headers (dtypes, byte orders, shapes, Fortran order, versions) are read exactly or refused', () => {
  let checkedValues = 0;
  fc.assert(
    fc.property(specWithPayloadArb, ([spec, payload]) => {
      const bytes = npyFile(spec.version, headerText(spec), payload);
      const result = outcomeSync(() => parseNpy(bytes, 'x.npy'), 'x.npy');
      tally.note('npy header', result);
      const layout = expectedLayout(spec);
      const count = layout?.shape.reduce((a, b) => a * b, 1);
      const values =
        layout && payload.length === count! * layout.itemSize ? expectedValues(Buffer.from(payload), layout) : null;
      if (!values) {
        assert.ok(!result.ok, `should refuse ${headerText(spec)} with ${payload.length} data bytes`);
        return;
      }
      assert.ok(result.ok, `should read ${headerText(spec)}: ${result.ok ? '' : result.error.message}`);
      assert.deepEqual(result.value.shape, layout!.shape);
      assert.equal(result.value.data.length, values.length);
      values.forEach((v, i) =>
        assert.ok(sameNumber(result.value.data[i], v), `value ${i}: ${result.value.data[i]} !== ${v}`),
      );
      checkedValues += values.length;
      if (result.value.shape.length === 2) {
        const matrix = outcomeSync(() => asMatrix(result.value, 'x.npy'), 'x.npy');
        assert.equal(matrix.ok, values.every(Number.isFinite), 'asMatrix accepts exactly the all-finite matrices');
      }
    }),
    { seed: 0x6e7079, numRuns: 4000, includeErrorInReport: true },
  );
  console.log(
    `npy header fuzz: ${checkedValues.toLocaleString('en-US')} values checked against the independent decoder`,
  );
});

test('fuzz: forged preambles (magic, version, header length field) are refused', () => {
  const valid = encodeNpy(2, 3, Float32Array.of(1, 2, 3, 4, 5, 6));
  const forgery = fc.oneof(
    fc.record({
      kind: fc.constant('version' as const),
      major: fc.integer({ min: 0, max: 255 }),
      minor: fc.integer({ min: 0, max: 255 }),
    }),
    fc.record({
      kind: fc.constant('length' as const),
      version: fc.constantFrom(1, 2, 3),
      length: fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 0xffff }), fc.constant(0xffffffff)),
    }),
    fc.record({ kind: fc.constant('magic' as const), at: fc.nat({ max: 5 }), byte: fc.integer({ min: 0, max: 255 }) }),
  );
  const dictText = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const payload = valid.subarray(valid.length - 24);
  fc.assert(
    fc.property(forgery, (f) => {
      let bytes: Uint8Array;
      let mustRefuse: boolean;
      if (f.kind === 'version') {
        bytes = valid.slice();
        [bytes[6], bytes[7]] = [f.major, f.minor];
        mustRefuse = !(f.major === 1 && f.minor === 0); // 2.0 and 3.0 would read a 4-byte length field: the header moves
      } else if (f.kind === 'length') {
        const honest = npyFile(f.version, dictText, payload);
        const stated = f.version === 1 ? Buffer.from(honest).readUInt16LE(8) : Buffer.from(honest).readUInt32LE(8);
        const length = f.version === 1 ? f.length & 0xffff : f.length;
        bytes = npyFile(f.version, dictText, payload, length);
        mustRefuse = length !== stated; // a shorter or longer header moves the data: the byte count never fits
      } else {
        bytes = valid.slice();
        bytes[f.at] = f.byte;
        mustRefuse = f.byte !== valid[f.at];
      }
      const result = outcomeSync(() => parseNpy(bytes, 'x.npy'), 'x.npy');
      tally.note('npy preamble', result);
      if (mustRefuse) assert.ok(!result.ok, `should refuse ${JSON.stringify(f)}`);
      else assert.ok(result.ok && result.value.data.join() === '1,2,3,4,5,6', JSON.stringify(f));
    }),
    { seed: 0x707265, numRuns: 1500, includeErrorInReport: true },
  );
});

test('fuzz: readNpy on damaged files answers exactly as parseNpy does on the same bytes', async (t) => {
  const dir = await tempDir(t, 'vt-fuzz-npy-');
  const base = fc.tuple(specWithPayloadArb, damageArb, fc.boolean());
  let n = 0;
  await fc.assert(
    fc.asyncProperty(base, async ([[spec, payload], damage, damaged]) => {
      const valid = npyFile(spec.version, headerText(spec), payload);
      const bytes = damaged ? applyDamage(valid, damage) : valid;
      const file = path.join(dir, `case-${n++}.npy`);
      await fs.writeFile(file, bytes);
      const fromFile = await outcome(() => readNpy(file), file);
      const inMemory = outcomeSync(() => parseNpy(bytes, file), file);
      tally.note('npy file (readNpy)', fromFile);
      await fs.rm(file);
      if (!fromFile.ok || !inMemory.ok) {
        assert.equal(fromFile.ok ? 'read' : fromFile.error.message, inMemory.ok ? 'read' : inMemory.error.message);
        return;
      }
      assert.deepEqual(fromFile.value.shape, inMemory.value.shape);
      assert.deepEqual(new Uint32Array(fromFile.value.data.buffer), new Uint32Array(inMemory.value.data.buffer));
    }),
    { seed: 0x66696c, numRuns: 400, includeErrorInReport: true },
  );
});

/** Reads a matrix with NpyReader as the import does: blocks of rows, then a scattered selection. */
async function readInBlocks(file: string, blockRows: number, picks: number[]) {
  const reader = await NpyReader.open(file);
  try {
    const blocks: Float32Array[] = [];
    for (let start = 0; start < reader.rows; start += blockRows) {
      const block = await reader.readRange(start, Math.min(blockRows, reader.rows - start));
      checkFinite(block, start, reader.dim, file);
      blocks.push(block);
    }
    const selected = picks.map((p) => p % reader.rows);
    return { shape: [reader.rows, reader.dim], blocks, selected, picked: await reader.readRows(selected) };
  } finally {
    await reader.close();
  }
}

test('fuzz: the block reader (import) reads every file as readNpy and asMatrix do, in any blocks and any row order', async (t) => {
  const dir = await tempDir(t, 'vt-fuzz-npy-blocks-');
  let n = 0;
  // Valid matrices of several rows too (the generated headers are mostly refused), in every dtype and order.
  const matrixArb: fc.Arbitrary<[HeaderSpec, Uint8Array]> = fc
    .record<HeaderSpec>({
      version: fc.constantFrom(1 as const, 2 as const, 3 as const),
      descr: fc.constantFrom(...FLOAT_DESCRS),
      fortran: fc.constantFrom('True', 'False'),
      dims: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4 })).map(([r, c]) => [`${r}`, `${c}`]),
      trailingComma: fc.constant(true),
      quote: fc.constant("'" as const),
      space: fc.constant(' '),
      order: fc.constant([0, 1, 2]).map((o) => [...o]),
    })
    .chain((spec) => {
      const bytes = Number(spec.dims[0]) * Number(spec.dims[1]) * Number(spec.descr[2]);
      return fc.tuple(fc.constant(spec), fc.uint8Array({ minLength: bytes, maxLength: bytes }));
    });
  const base = fc.tuple(
    fc.oneof(specWithPayloadArb, matrixArb),
    damageArb,
    fc.boolean(),
    fc.integer({ min: 1, max: 5 }),
    fc.array(fc.nat(), { maxLength: 6 }),
  );
  await fc.assert(
    fc.asyncProperty(base, async ([[spec, payload], damage, damaged, blockRows, picks]) => {
      const valid = npyFile(spec.version, headerText(spec), payload);
      const file = path.join(dir, `case-${n++}.npy`);
      await fs.writeFile(file, damaged ? applyDamage(valid, damage) : valid);
      const whole = await outcome(async () => asMatrix(await readNpy(file), file), file);
      const blocks = await outcome(() => readInBlocks(file, blockRows, picks), file);
      tally.note('npy in blocks (import)', blocks);
      await fs.rm(file);
      if (!whole.ok) {
        assert.ok(!blocks.ok, `read what readNpy refuses: ${whole.error.message}`);
        // readNpy converts every value before asMatrix checks the shape and finiteness; the block reader checks the
        // shape first, then each block: with two faults they may name different ones, with one the same.
        const layout = damaged ? null : expectedLayout(spec);
        const fits = layout && payload.length === layout.shape.reduce((a, b) => a * b, 1) * layout.itemSize;
        const values = fits && layout.shape.length === 2 ? expectedValues(Buffer.from(payload), layout) : null;
        if (values && values.filter((v) => !Number.isFinite(v)).length <= 1)
          assert.equal(blocks.error.message, whole.error.message);
        return;
      }
      assert.ok(blocks.ok, blocks.ok ? '' : blocks.error.message);
      const { rows, dim, data } = whole.value;
      assert.deepEqual(blocks.value.shape, [rows, dim]);
      const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
      assert.deepEqual(blocks.value.blocks.flatMap(bits), bits(data));
      const expected = blocks.value.selected.flatMap((r) => bits(data.subarray(r * dim, (r + 1) * dim)));
      assert.deepEqual(bits(blocks.value.picked), expected);
    }),
    { seed: 0x626c6b, numRuns: 600, includeErrorInReport: true },
  );
});
