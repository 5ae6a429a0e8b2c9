/** One progress update of a worker request: counts, and the worker's own words for where it is. */
export interface ProgressUpdate {
  done: number;
  total: number;
  message: string;
}

/**
 * Turns a request's progress updates into the notification's text: the worker's own message ("Loading the
 * embedding model...", "Embedded 96 of 3781 images (10.8/s; ...)"), with the time left once there is a rate to
 * tell it from. The rate is measured from the first update that counts, so the seconds spent loading the
 * model do not slow it down, and nothing is estimated before a single item is done ("about 0 s left" before
 * anything happened was a guess dressed as a figure).
 */
export function timeLeftReporter(now: () => number = Date.now): (p: ProgressUpdate) => string {
  let first: { at: number; done: number; total: number } | undefined;
  return (p) => {
    if (p.total <= 0) return p.message;
    if (!first || first.total !== p.total) first = { at: now(), done: p.done, total: p.total };
    const seconds = (now() - first.at) / 1000;
    const rate = (p.done - first.done) / Math.max(seconds, 1e-3);
    if (!(rate > 0)) return p.message;
    return `${p.message}, about ${Math.round((p.total - p.done) / rate)} s left`;
  };
}
