/** At most this many progress messages per second and request, besides the ones that always go through. */
export const PROGRESS_PER_SECOND = 4;

export interface ProgressUpdate {
  done: number;
  total: number;
  message: string;
}

/**
 * Thins out progress updates: indexing small images reports hundreds of batches a second, and every message
 * costs a structured clone and a repaint of the notification. Always passed: status lines without counts
 * (total 0: "loading the model"; one per phase), the first update of a new total, and the last one
 * (done == total), so the caller sees each phase start and the bar reach its end.
 */
export function throttleProgress(
  send: (update: ProgressUpdate) => void,
  now: () => number = Date.now,
): (update: ProgressUpdate) => void {
  const interval = 1000 / PROGRESS_PER_SECOND;
  let last: { at: number; total: number } | undefined;
  return (update) => {
    const at = now();
    const pass =
      !last ||
      update.total === 0 ||
      update.total !== last.total ||
      (update.total > 0 && update.done >= update.total) ||
      at - last.at >= interval;
    if (!pass) return;
    last = { at, total: update.total };
    send(update);
  };
}
