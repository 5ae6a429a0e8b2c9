import * as vscode from 'vscode';
import { type ProgressUpdate, timeLeftReporter } from './progress-text';

export interface ProgressReporter {
  /** Shows the worker's message (with the time left, once known) and the bar; returns the text shown. */
  report(update: ProgressUpdate): string;
  signal: AbortSignal;
}

/**
 * A cancellable progress notification whose cancel button aborts an AbortSignal, the cancellation the engine
 * and worker understand. Progress is reported as absolute counts and turned into VS Code's increments.
 */
export function withCancellableProgress<T>(
  title: string,
  work: (progress: ProgressReporter) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      const text = timeLeftReporter();
      return work({
        signal: controller.signal,
        report(update) {
          const percent = update.total > 0 ? (100 * update.done) / update.total : 0;
          const message = text(update);
          progress.report({ message, increment: Math.max(0, percent - reported) });
          reported = Math.max(reported, percent);
          return message;
        },
      });
    },
  );
}
