/**
 * Every failure a user can cause (bad file, wrong model, missing folder) is a VectorTuneError: it names the
 * file, says what is wrong with it, and says what to do. The CLI prints `message` alone (no stack) and the
 * extension shows it in a notification, so the message must stand on its own.
 */
export class VectorTuneError extends Error {
  constructor(
    /** What went wrong, in one sentence a user can act on. */
    readonly problem: string,
    /** The file or folder concerned, when there is one. */
    readonly file?: string,
    /** What to do about it. */
    readonly hint?: string,
  ) {
    super(formatMessage(problem, file, hint));
    this.name = 'VectorTuneError';
  }
}

function formatMessage(problem: string, file?: string, hint?: string): string {
  const where = file ? `${file}: ` : '';
  const what = hint ? ` ${hint}` : '';
  return `${where}${problem}${what}`;
}

/** Errors that the user can fix are shown plainly; anything else is a bug and keeps its stack. */
export function describeError(err: unknown): string {
  if (err instanceof VectorTuneError) return err.message;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
