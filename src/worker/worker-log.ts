import { format } from 'node:util';
import { maskSecrets } from '../core/util/mask-secret';
import type { FromWorker, LogMessage, ToWorker } from '../protocol/worker-protocol';

/** Writes one line to the extension's Vector Tune output channel. */
export type WorkerLog = (level: LogMessage['level'], message: string) => void;

/**
 * Routes this thread's console to the log. transformers.js and onnxruntime-web report warnings with
 * console.warn; in the extension host a worker's own stdout goes nowhere a user can see.
 */
export function forwardConsole(log: WorkerLog): void {
  const to =
    (level: LogMessage['level']) =>
    (...args: unknown[]) =>
      log(level, format(...args));
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

/**
 * Keeps API keys out of everything the worker sends back. The key arrives in `configure` (the Pinecone key
 * from SecretStorage); every log line and error message leaving the worker is masked with every key seen,
 * so no code path (an SDK error quoting a request, a stack trace) can carry one to the output channel or a
 * notification. Results are not masked: none of them carries configuration.
 */
export class SecretMask {
  private readonly secrets = new Set<string>();

  /** Learns the keys of a configure request. */
  observe(message: ToWorker): void {
    if (message?.kind === 'request' && message.method === 'configure') {
      const key = (message.params as { pinecone?: { apiKey?: unknown } } | undefined)?.pinecone?.apiKey;
      if (typeof key === 'string') this.secrets.add(key);
    }
  }

  text(text: string): string {
    return maskSecrets(text, [...this.secrets]);
  }

  outgoing(message: FromWorker): FromWorker {
    if (message.kind === 'log') return { ...message, message: this.text(message.message) };
    if (message.kind === 'response' && !message.ok)
      return { ...message, error: { ...message.error, message: this.text(message.error.message) } };
    if (message.kind === 'progress') return { ...message, message: this.text(message.message) };
    return message;
  }
}
