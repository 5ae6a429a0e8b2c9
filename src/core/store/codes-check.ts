import type { CodesCheck } from './embedded-load';
import type { QuantisedRows } from './quantised-rows';

/**
 * Whether the codes read from the search cache are the bytes its writer recorded: opening a store reads them without
 * checking (embedded-load.ts), and the store runs this before its first search, so a damaged cache file never
 * shapes an answer. For a large store the CRC-32s are computed on a helper thread (QuantisedRows.checksum).
 */
export async function codesIntact(codes: QuantisedRows, check: CodesCheck): Promise<boolean> {
  if ((await codes.checksum('q8', check.rows)) !== check.q8Crc32) return false;
  return (await codes.checksum('q4', check.rows)) === check.q4Crc32;
}
