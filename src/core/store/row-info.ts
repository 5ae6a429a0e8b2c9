import { ROW_INFO_BYTES, ROW_INFO_FIELDS } from './quantiser';

/**
 * The per-row numbers of the quantised rows (ROW_INFO_BYTES each, as the kernel writes them): the scale s, the norms
 * ‖s·q‖, ‖r‖ and ‖r₂‖ the search's bounds need, and the row's checksum, which every read of the row's exact values
 * from the vectors file is checked against. Held for every row whether or not the store searches (a fifth of a 512-d
 * row's int8 codes), in one interleaved array so a row's numbers share a cache line.
 */
export class RowInfo {
  /** Field f of row r is values[r * ROW_INFO_FIELDS + f]: 0 scale, 1 ‖s·q‖, 2 ‖r‖, 3 ‖r₂‖ (4 is the checksum). */
  readonly values: Float32Array;
  readonly words: Uint32Array;
  readonly bytes: Uint8Array;

  constructor(readonly capacity: number) {
    this.values = new Float32Array(capacity * ROW_INFO_FIELDS);
    this.words = new Uint32Array(this.values.buffer);
    this.bytes = new Uint8Array(this.values.buffer);
  }

  checksum(row: number): number {
    return this.words[row * ROW_INFO_FIELDS + 4];
  }

  /** Rows [row, row + n) from `info` (ROW_INFO_BYTES per row) starting at its row `from`. */
  set(row: number, info: Uint8Array, from: number, n: number): void {
    this.bytes.set(info.subarray(from * ROW_INFO_BYTES, (from + n) * ROW_INFO_BYTES), row * ROW_INFO_BYTES);
  }

  /** The bytes of rows [row, row + n): a view to read a file into or write one from. */
  view(row: number, n: number): Uint8Array {
    return this.bytes.subarray(row * ROW_INFO_BYTES, (row + n) * ROW_INFO_BYTES);
  }

  /** A copy with room for `capacity` rows, holding the first `used` rows of this one. */
  grown(capacity: number, used: number): RowInfo {
    const bigger = new RowInfo(capacity);
    bigger.bytes.set(this.view(0, used));
    return bigger;
  }
}
