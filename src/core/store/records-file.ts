import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import { writing } from '../fs/write-errors';
import type { RecordMeta } from './types';
import { crc32 } from '../util/hash';

/** The records file holds one JSON object per line, line i describing row i of the vectors file. */
export function encodeRecords(records: RecordMeta[]): string {
  return records.map((r) => JSON.stringify(pickMeta(r)) + '\n').join('');
}

export function pickMeta(r: RecordMeta): RecordMeta {
  const meta: RecordMeta = { id: r.id };
  if (r.path !== undefined) meta.path = r.path;
  if (r.hash !== undefined) meta.hash = r.hash;
  if (r.size !== undefined) meta.size = r.size;
  if (r.mtimeMs !== undefined) meta.mtimeMs = r.mtimeMs;
  return meta;
}

/**
 * Reads the first `bytes` bytes (the committed part) of a records file meant to hold `count` records. With the
 * manifest's CRC-32 (`expectedCrc32`), the bytes must match it: they are then what a writer of this store wrote, whole
 * lines of well-formed records (RecordTable counts the lines and checks the ids are unique). Without one (a store
 * written before checksums existed), every line is parsed and checked instead. Returns the bytes and their CRC-32.
 */
export async function readRecordBytes(
  file: string,
  bytes: number,
  count: number,
  expectedCrc32?: number,
): Promise<{ bytes: Buffer; crc32: number }> {
  const { bytes: buf, crc32: actual } = await readPrefixWithCrc(file, bytes);
  if (expectedCrc32 === undefined) checkRecordLines(buf, file, count);
  else if (actual !== expectedCrc32)
    throw damagedRecords(
      file,
      'the records file does not match its checksum: its bytes changed after they were written.',
    );
  return { bytes: buf, crc32: actual };
}

function damagedRecords(file: string, what: string): VectorTuneError {
  return new VectorTuneError(what, file, 'The store is damaged; it is rebuildable: delete its folder and index again.');
}

/** Every committed line is a well-formed record, ids unique, and there are exactly `count` of them. */
function checkRecordLines(buf: Buffer, file: string, count: number): void {
  const bytes = buf.length;
  // Every record ends with a newline, so the committed part does too; anything else means the counts are wrong.
  if (bytes > 0 && buf[bytes - 1] !== 0x0a)
    throw damagedRecords(file, "the records file's committed part does not end at a line break.");
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw damagedRecords(file, 'the records file is not valid UTF-8.');
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== count) {
    throw damagedRecords(
      file,
      `the records file holds ${lines.length} committed records but the manifest says ${count}.`,
    );
  }
  const records = lines.map((line, i) => parseRecord(line, file, i + 1));
  // Two rows under one id would make a search return one vector and a fetch the other.
  const lineOf = new Map<string, number>();
  records.forEach((r, i) => {
    const first = lineOf.get(r.id);
    if (first !== undefined)
      throw damagedRecords(
        file,
        `lines ${first + 1} and ${i + 1} of the records file both hold id ${JSON.stringify(r.id)}.`,
      );
    lineOf.set(r.id, i);
  });
}

function parseRecord(line: string, file: string, lineNo: number): RecordMeta {
  let r: RecordMeta;
  try {
    r = JSON.parse(line) as RecordMeta; // a declared type for the checks below, which trust none of it
  } catch {
    throw new VectorTuneError(
      `line ${lineNo} of the records file is not valid JSON.`,
      file,
      'Delete the store folder and index again.',
    );
  }
  const optional = (v: unknown, type: 'string' | 'number') =>
    v === undefined || (typeof v === type && (type === 'string' || Number.isFinite(v)));
  if (
    !r ||
    typeof r !== 'object' ||
    typeof r.id !== 'string' ||
    r.id === '' ||
    !optional(r.path, 'string') ||
    !optional(r.hash, 'string') ||
    !optional(r.size, 'number') ||
    !optional(r.mtimeMs, 'number')
  ) {
    throw new VectorTuneError(
      `line ${lineNo} of the records file is not a valid record (id, path, hash, size, mtimeMs).`,
      file,
      'Delete the store folder and index again.',
    );
  }
  return pickMeta(r);
}

/** Bytes per read: large enough that a read's overhead is nothing, small enough that reading overlaps checking. */
const READ_CHUNK = 16 << 20;

/** Reads exactly `bytes` bytes from the start of a file into `into` (or a new buffer); shorter files are damage. */
export async function readPrefix(file: string, bytes: number, into?: Uint8Array): Promise<Buffer> {
  return (await readPrefixWithCrc(file, bytes, into, false)).bytes;
}

/**
 * readPrefix, also returning the bytes' CRC-32 (with `crc`): each piece is checksummed on this thread while the next
 * is read on libuv's (the read is a copy out of the page cache or the disk), so the two overlap instead of adding up.
 */
export async function readPrefixWithCrc(
  file: string,
  bytes: number,
  into?: Uint8Array,
  crc = true,
): Promise<{ bytes: Buffer; crc32: number }> {
  if (bytes === 0) return { bytes: into ? Buffer.from(into.buffer, into.byteOffset, 0) : Buffer.alloc(0), crc32: 0 };
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    throw new VectorTuneError(
      `a store data file is missing (${(err as NodeJS.ErrnoException).code}).`,
      file,
      'Delete the store folder and index again.',
    );
  }
  const short = (found: number) =>
    new VectorTuneError(
      `the store data file is shorter than its manifest says (${found} of ${bytes} bytes).`,
      file,
      'The store is damaged; delete its folder and index again.',
    );
  try {
    // Before allocating: a damaged manifest can claim petabytes, and Buffer.alloc would throw a RangeError.
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new VectorTuneError('a store data file is not a file.', file, 'Delete the store folder and index again.');
    if (stat.size < bytes) throw short(stat.size);
    // Unzeroed: every byte is read over below, or the file is refused as short.
    const target = into ? Buffer.from(into.buffer, into.byteOffset, bytes) : Buffer.allocUnsafe(bytes);
    const readFrom = (at: number) => handle.read(target, at, Math.min(bytes - at, READ_CHUNK), at);
    let checksum = 0;
    let done = 0;
    let next = readFrom(0);
    while (done < bytes) {
      const { bytesRead } = await next;
      if (bytesRead === 0) break;
      const piece = target.subarray(done, done + bytesRead);
      done += bytesRead;
      if (done < bytes) next = readFrom(done);
      if (crc) checksum = crc32(piece, checksum);
    }
    if (done < bytes) throw short(done);
    return { bytes: target, crc32: checksum };
  } catch (err) {
    throw err instanceof VectorTuneError
      ? err
      : new VectorTuneError(
          `a store data file cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`,
          file,
          'Delete the store folder and index again.',
        );
  } finally {
    await handle.close();
  }
}

/** Cuts an uncommitted tail left by a killed writer, then appends and fsyncs. */
export async function appendAt(file: string, committedBytes: number, data: Uint8Array): Promise<void> {
  await writing(file, () => appendAtUnwrapped(file, committedBytes, data));
}

async function appendAtUnwrapped(file: string, committedBytes: number, data: Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'a+').then(async (h) => {
    await h.close();
    return fs.open(file, 'r+');
  });
  try {
    await handle.truncate(committedBytes);
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await handle.write(data, done, data.byteLength - done, committedBytes + done);
      done += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}
