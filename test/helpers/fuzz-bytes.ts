/**
 * Byte-level damage for the fuzz suites: what a crash, a bad disk, a bad copy or a careless edit does to a
 * file. Positions are drawn as plain numbers and taken modulo the file's length when applied, so one
 * generator fits every file and fast-check can shrink a failing case towards position 0.
 */
import fc from 'fast-check';

export type Damage =
  /** A write cut short: only the first `at` bytes are there. */
  | { kind: 'cut'; at: number }
  /** One flipped bit (a bad sector or cable). */
  | { kind: 'flip'; at: number; bit: number }
  /** One byte overwritten. */
  | { kind: 'set'; at: number; byte: number }
  /** A run of bytes zeroed (what some filesystems leave after a crash). */
  | { kind: 'zero'; at: number; length: number }
  /** Bytes inserted (a stray paste, a merge). */
  | { kind: 'insert'; at: number; bytes: number[] }
  /** Bytes removed from the middle. */
  | { kind: 'delete'; at: number; length: number };

const position = fc.nat({ max: 1 << 24 });

export const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: position }),
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('zero' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
);

/**
 * A damaged copy of `bytes` (the input is not changed). `region` confines the damage to [from, to) of the
 * file, e.g. the committed part of a data file; a cut always keeps at least `from` bytes.
 */
export function applyDamage(
  bytes: Uint8Array,
  d: Damage,
  region: { from: number; to: number } = { from: 0, to: bytes.length },
): Uint8Array {
  const span = Math.max(region.to - region.from, 1);
  const at = region.from + (d.at % span);
  const out = Buffer.from(bytes);
  switch (d.kind) {
    case 'cut':
      return new Uint8Array(out.subarray(0, at));
    case 'flip':
      if (at < out.length) out[at] ^= 1 << d.bit;
      return new Uint8Array(out);
    case 'set':
      if (at < out.length) out[at] = d.byte;
      return new Uint8Array(out);
    case 'zero':
      out.fill(0, at, Math.min(at + d.length, region.to));
      return new Uint8Array(out);
    case 'insert':
      return new Uint8Array(Buffer.concat([out.subarray(0, at), Buffer.from(d.bytes), out.subarray(at)]));
    case 'delete':
      return new Uint8Array(Buffer.concat([out.subarray(0, at), out.subarray(Math.min(at + d.length, region.to))]));
  }
}

/** True when the damage left the bytes as they were (a set to the same value, a zero run over zeros). */
export function unchanged(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
