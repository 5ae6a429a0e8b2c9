import { VectorTuneError } from '../errors';

/**
 * Turns an operating-system error from a write into a VectorTuneError that names the file and says what to do.
 * Node's own messages for writes through a file descriptor name no file ("ENOSPC: no space left on device,
 * write"). Every writer commits last (append + fsync, or temporary file + rename), so a failed write leaves the
 * previous state in place, which the hint says.
 */
export function writeError(err: unknown, file: string): Error {
  if (err instanceof VectorTuneError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  const kept = 'Nothing already saved was changed.';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new VectorTuneError(
        `cannot write: the disk is full (${code}).`,
        file,
        `Free some space and try again. ${kept}`,
      );
    case 'EROFS':
      return new VectorTuneError(
        'cannot write: the file system is read-only (EROFS).',
        file,
        `Use a writable folder, or remount it writable. ${kept}`,
      );
    case 'EACCES':
    case 'EPERM':
      return new VectorTuneError(
        `cannot write: permission denied (${code}).`,
        file,
        `Make the folder writable for this user. ${kept}`,
      );
    case 'EIO':
      return new VectorTuneError(
        'cannot write: the device reported an I/O error (EIO).',
        file,
        `Check the disk. ${kept}`,
      );
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

/** Runs a write and translates its operating-system errors (see writeError). */
export async function writing<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw writeError(err, file);
  }
}
