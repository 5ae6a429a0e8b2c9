import * as vscode from 'vscode';

export interface ProgressReporter {
  report(done: number, total: number, message: string): void;
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
      return work({
        signal: controller.signal,
        report(done, total, message) {
          const percent = total > 0 ? (100 * done) / total : 0;
          progress.report({ message, increment: Math.max(0, percent - reported) });
          reported = Math.max(reported, percent);
        },
      });
    },
  );
}
