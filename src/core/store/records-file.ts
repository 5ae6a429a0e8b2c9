import * as fs from 'node:fs/promises';
import { VectorTuneError } from '../errors';
import type { RecordMeta } from './types';

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

/** Reads the first `bytes` bytes (the committed part) and expects exactly `count` well-formed records. */
export async function readRecords(file: string, bytes: number, count: number): Promise<RecordMeta[]> {
  const buf = await readPrefix(file, bytes);
  const lines = buf.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== count) {
    throw new VectorTuneError(
      `the records file holds ${lines.length} committed records but the manifest says ${count}.`,
      file,
      'The store is damaged; it is rebuildable: delete its folder and index again.',
    );
  }
  return lines.map((line, i) => parseRecord(line, file, i + 1));
}

function parseRecord(line: string, file: string, lineNo: number): RecordMeta {
  let r: RecordMeta;
  try {
    r = JSON.parse(line);
  } catch {
    throw new VectorTuneError(`line ${lineNo} of the records file is not valid JSON.`, file, 'Delete the store folder and index again.');
  }
  if (!r || typeof r.id !== 'string' || r.id === '' || (r.path !== undefined && typeof r.path !== 'string')) {
    throw new VectorTuneError(`line ${lineNo} of the records file has no valid "id"/"path".`, file, 'Delete the store folder and index again.');
  }
  return r;
}

const READ_CHUNK = 1 << 30;

/** Reads exactly `bytes` bytes from the start of a file into `into` (or a new buffer); shorter files are damage. */
export async function readPrefix(file: string, bytes: number, into?: Uint8Array): Promise<Buffer> {
  const target = into ? Buffer.from(into.buffer, into.byteOffset, bytes) : Buffer.alloc(bytes);
  if (bytes === 0) return target;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    throw new VectorTuneError(`a store data file is missing (${(err as NodeJS.ErrnoException).code}).`, file, 'Delete the store folder and index again.');
  }
  try {
    let done = 0;
    while (done < bytes) {
      // One read of more than 2 GiB aborts Node (a native assertion, not an exception): read in 1 GiB chunks.
      const { bytesRead } = await handle.read(target, done, Math.min(bytes - done, READ_CHUNK), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done < bytes) {
      throw new VectorTuneError(
        `the store data file is shorter than its manifest says (${done} of ${bytes} bytes).`,
        file,
        'The store is damaged; delete its folder and index again.',
      );
    }
    return target;
  } finally {
    await handle.close();
  }
}

/** Cuts an uncommitted tail left by a killed writer, then appends and fsyncs. */
export async function appendAt(file: string, committedBytes: number, data: Uint8Array): Promise<void> {
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
