import { format } from 'node:util';
import type { LogMessage } from '../protocol/worker-protocol';

/** Writes one line to the extension's Vector Tune output channel. */
export type WorkerLog = (level: LogMessage['level'], message: string) => void;

/**
 * Routes this thread's console to the log. transformers.js and onnxruntime-web report warnings with
 * console.warn; in the extension host a worker's own stdout goes nowhere a user can see.
 */
export function forwardConsole(log: WorkerLog): void {
  const to = (level: LogMessage['level']) => (...args: unknown[]) => log(level, format(...args));
  console.log = to('info');
  console.info = to('info');
  console.debug = to('info');
  console.warn = to('warn');
  console.error = to('error');
}

/** The first line of an error message, bounded: what a notification can show. */
export function shortMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n')[0].trim() || (err instanceof Error ? err.name : 'unknown error');
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
