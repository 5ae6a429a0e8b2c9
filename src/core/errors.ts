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

/**
 * A user-facing error as a notification shows it: the problem and what to do first, the file last in brackets.
 * The CLI's `file: problem` order suits a terminal (and editors that link it), but a notification is read from
 * its start, and a deep path (a temporary workspace, the model cache) there pushed the problem out of view.
 */
export function problemFirst(err: VectorTuneError): string {
  if (!err.file) return err.message;
  const hint = err.hint ? ` ${err.hint}` : '';
  // Written to follow "file: ", the problem starts in lower case; at the start it needs a capital.
  return `${upperFirst(err.problem)}${hint} (${err.file})`;
}

/** A problem worded to start a message, reworded to follow "...: " inside another ("Downloading" -> "downloading"). */
export function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}

function upperFirst(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Errors that the user can fix are shown plainly; anything else is a bug and keeps its stack. */
export function describeError(err: unknown): string {
  if (err instanceof VectorTuneError) return err.message;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
