import * as os from 'node:os';
import type * as Ort from 'onnxruntime-node';

/**
 * onnxruntime's intra-op threads as users ask for them (the `vectorTune.threads` setting, the CLI's
 * `--threads`): a number of threads, or 0 for all the cores.
 */
export function intraOpThreads(requested: number, cores = os.availableParallelism()): number {
  return requested === 0 ? cores : requested;
}

/** Whether a requested thread count is one (a whole number from 0 = all cores to 256). */
export function isThreadCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 256;
}

/**
 * Session options for `threads` intra-op threads, without spinning: pool threads that busy-wait between
 * operators keep every core busy, which a user's editor (or anything else on the machine) feels.
 */
export function withThreadDefaults(
  options: Ort.InferenceSession.SessionOptions | undefined,
  threads: number,
): Ort.InferenceSession.SessionOptions {
  const extra = (options?.extra ?? {}) as { session?: { intra_op?: Record<string, unknown> } };
  return {
    intraOpNumThreads: threads,
    // Operators run one after another in CLIP's graphs; a second (inter-op) pool would only add threads.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    ...options,
    extra: {
      ...extra,
      session: { ...extra.session, intra_op: { allow_spinning: '0', ...extra.session?.intra_op } },
    },
  };
}
