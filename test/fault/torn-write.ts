/**
 * Torn writes for the fault hook: when a kill lands on a write call, the hook can first write the leading part of
 * what the call would have written, as the kernel does when SIGKILL arrives in the middle of a write that spans pages
 * (it stops between pages). Without this, a kill at a step only ever falls between whole calls, and a reader's
 * tolerance of a torn last line, or a store's of a half-appended row, would never be tried.
 */
// The module object itself (its own writeSync, unpatched), as fault-hook.ts takes it: not the bundle's namespace view.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');
/** Unpatched, so the partial write is not a step itself. */
const writeSync = fs.writeSync.bind(fs) as (
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number | null,
) => number;

/** Writes the first `fraction` of a call's bytes (at least one byte, never all). */
export type Tear = (self: unknown, args: unknown[], fraction: number) => void;

function bytesOf(data: unknown): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new Error(`torn write: cannot tear a ${typeof data}`);
}

function writePart(fd: number, bytes: Buffer, position: number | null, fraction: number): void {
  if (bytes.length < 2) return;
  const n = Math.min(bytes.length - 1, Math.max(1, Math.floor(bytes.length * fraction)));
  writeSync(fd, bytes, 0, n, position);
}

const fdOf = (handle: unknown) => (handle as { fd: number }).fd;
const positionOf = (p: unknown) => (typeof p === 'number' ? p : null);

/** FileHandle.write(buffer, offset?, length?, position?) or write(string, position?). */
function tearHandleWrite(handle: unknown, args: unknown[], fraction: number): void {
  const [data, a, b, c] = args;
  if (typeof data === 'string') return writePart(fdOf(handle), bytesOf(data), positionOf(a), fraction);
  const all = bytesOf(data);
  const offset = typeof a === 'number' ? a : 0;
  const length = typeof b === 'number' ? b : all.length - offset;
  writePart(fdOf(handle), all.subarray(offset, offset + length), positionOf(c), fraction);
}

/** fs.writeSync(fd, buffer, offset?, length?, position?) or writeSync(fd, string, position?). */
function tearWriteSync(_: unknown, args: unknown[], fraction: number): void {
  const [fd, ...rest] = args;
  tearHandleWrite({ fd }, rest, fraction);
}

export const HANDLE_TEARS: Record<string, Tear> = {
  write: tearHandleWrite,
  writeFile: (handle, [data], fraction) => writePart(fdOf(handle), bytesOf(data), null, fraction),
  appendFile: (handle, [data], fraction) => writePart(fdOf(handle), bytesOf(data), null, fraction),
};

export const SYNC_TEARS: Record<string, Tear> = { writeSync: tearWriteSync };
