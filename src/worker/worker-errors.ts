import { lowerFirst, VectorTuneError } from '../core/errors';

/**
 * The worker's own failures. User-facing ones are VectorTuneErrors, so the request server reports them with
 * `userError: true` and the extension shows the message as is.
 */

/** A request stopped because its caller cancelled it (or the worker is shutting down). Not a bug. */
export class CancelledError extends Error {
  constructor(message = 'Cancelled.') {
    super(message);
    this.name = 'AbortError';
  }
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof CancelledError ? signal.reason : new CancelledError();
}

export function notConfigured(): VectorTuneError {
  return new VectorTuneError(
    'Vector Tune has no workspace yet.',
    undefined,
    'Open a folder in the editor first: the store and heads live in the workspace.',
  );
}

export function noOpenHead(): VectorTuneError {
  return new VectorTuneError(
    'No head is open.',
    undefined,
    'Start a head first: Vector Tune: New Head from Prompt... (or open an existing one).',
  );
}

/**
 * The configured model could not be loaded (not cached while downloads are off, a failed download, a folder
 * without the model's files). Its message leads with the problem and the remedy; the file concerned (often deep
 * in the model cache) comes last, where it informs without hiding what to do.
 */
export class ModelUnavailableError extends VectorTuneError {
  constructor(ref: string, cause: VectorTuneError) {
    super(`Vector Tune could not load the model ${ref}: ${lowerFirst(cause.problem)}`, undefined, cause.hint);
    this.name = 'ModelUnavailableError';
    if (cause.file) this.message = `${this.message} (${cause.file})`;
  }
}
