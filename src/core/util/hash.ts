import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Streams the file, so hashing a large image or video-sized file does not load it whole. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * CRC-32 of `bytes` continued from `crc` (0 to start). Node 20's zlib.crc32 returns 0 for an empty view of an
 * empty ArrayBuffer whatever the running value, so empty input returns `crc` unchanged here.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  return bytes.byteLength === 0 ? crc : zlib.crc32(bytes, crc);
}
