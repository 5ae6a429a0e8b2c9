/**
 * IEEE 754 half precision (NumPy's float16, '<f2') to and from float32, bit-exact.
 *
 * Both directions work on raw float32 bit patterns (numbers holding a uint32), never through a JS double:
 * loading a float32 NaN into a double can quiet it and so change its payload, and NumPy keeps NaN payloads.
 * Every half converts to exactly the float32 NumPy gives (checked against NumPy in test/unit/npy.test.ts).
 */

/** float32 bit patterns of all 65,536 halves, built on first use (256 KB): decoding is then one lookup. */
let halfTable: Uint32Array | undefined;

/** The float32 bit pattern for each half bit pattern, indexed by the half's 16 bits. */
export function halfToFloat32BitsTable(): Uint32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloat32Bits(h);
  }
  return halfTable;
}

/** Widens one half to float32; exact for every input, because float32 has more exponent and mantissa bits. */
export function halfBitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let frac = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (frac << 13)) >>> 0; // inf, or NaN with its payload kept
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0; // rebias 15 -> 127
  if (frac === 0) return sign >>> 0; // signed zero
  // Subnormal half (frac * 2^-24) is a normal float32: shift the leading 1 up to the implicit-bit position.
  let e = 113;
  while ((frac & 0x400) === 0) {
    frac <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((frac & 0x3ff) << 13)) >>> 0;
}

/**
 * Narrows a float32 bit pattern to half with round-to-nearest-even, as NumPy does: too-large values become
 * infinity, too-small ones (signed) zero, and NaNs keep the top 10 payload bits (at least one set).
 */
export function float32BitsToHalfBits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) {
    if (mant === 0) return sign | 0x7c00;
    return sign | 0x7c00 | (mant >>> 13 || 1);
  }
  const e = exp - 112; // the half's biased exponent
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    const m = mant | 0x800000;
    const shift = 14 - e;
    return sign | roundShift(m, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent, and from 0x7bff up to 0x7c00 = infinity.
  return sign | ((e << 10) + roundShift(mant, 13));
}

/** m >> shift, rounded to nearest with ties to even. */
function roundShift(m: number, shift: number): number {
  const kept = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Convenience for numbers: the value is first rounded to float32 (so NaN payloads are not preserved). */
export function float32ToHalfBits(x: number): number {
  scratchF32[0] = x;
  return float32BitsToHalfBits(scratchU32[0]);
}

/** Convenience for numbers: the half's value as a JS number. */
export function halfBitsToNumber(h: number): number {
  scratchU32[0] = halfBitsToFloat32Bits(h);
  return scratchF32[0];
}
