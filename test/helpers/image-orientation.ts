/**
 * EXIF orientation fixtures: an upright picture with four differently coloured quadrants (no rotation or
 * mirror of it equals another), and the pixels a camera would store for it under each orientation tag,
 * computed here from the EXIF definition rather than with the library under test.
 */

/** Top-left, top-right, bottom-left, bottom-right, as RGB. */
export const QUADRANTS: readonly [number, number, number][] = [
  [220, 30, 30], // red
  [30, 190, 40], // green
  [30, 60, 220], // blue
  [240, 220, 40], // yellow
];

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The upright picture: wider than high (so a transposition changes the shape), one colour per quadrant. */
export function quadrantImage(width = 96, height = 64): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
      data.set(QUADRANTS[q], (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

/**
 * The pixels stored in a file tagged with `orientation` (1-8) that shows `upright` when displayed correctly.
 * EXIF says where the stored 0th row and 0th column lie in the displayed picture:
 * 1 top/left, 2 top/right, 3 bottom/right, 4 bottom/left, 5 left/top, 6 right/top, 7 right/bottom, 8 left/bottom.
 * For 5-8 the stored rows are displayed columns, so the stored image is upright.height wide.
 */
export function storedForOrientation(upright: RgbImage, orientation: number): RgbImage {
  const { width: W, height: H } = upright;
  const transposed = orientation >= 5;
  const width = transposed ? H : W;
  const height = transposed ? W : H;
  // Displayed (x, y) of the stored pixel at column c, row r.
  const displayed: Record<number, (c: number, r: number) => [number, number]> = {
    1: (c, r) => [c, r],
    2: (c, r) => [W - 1 - c, r],
    3: (c, r) => [W - 1 - c, H - 1 - r],
    4: (c, r) => [c, H - 1 - r],
    5: (c, r) => [r, c],
    6: (c, r) => [W - 1 - r, c],
    7: (c, r) => [W - 1 - r, H - 1 - c],
    8: (c, r) => [r, H - 1 - c],
  };
  const at = displayed[orientation];
  if (!at) throw new Error(`no EXIF orientation ${orientation}`);
  const data = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const [x, y] = at(c, r);
      data.set(upright.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3), (r * width + c) * 3);
    }
  }
  return { data, width, height };
}

/**
 * The colour at the centre of each quadrant of an RGB(A) picture, in QUADRANTS order, and the largest
 * channel difference from the expected ones: a few units for a JPEG, over 100 for a wrongly turned picture.
 */
export function quadrantError(data: Uint8Array, width: number, height: number, channels = 3): number {
  let worst = 0;
  QUADRANTS.forEach((expected, q) => {
    const x = Math.floor(((q % 2) * 2 + 1) * (width / 4));
    const y = Math.floor((Math.floor(q / 2) * 2 + 1) * (height / 4));
    const o = (y * width + x) * channels;
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(data[o + c] - expected[c]));
  });
  return worst;
}
