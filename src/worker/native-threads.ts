import * as os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { getSharp } from '../core/embed/image';

/**
 * CPU limits for the native libraries the engine runs inside the editor's extension host.
 *
 * onnxruntime's defaults suit a server: one intra-op thread per physical core, and pool threads that spin
 * (busy-wait) between operators. On a 2-core laptop or code-server box that keeps both cores busy while
 * indexing and makes the editor stutter. The worker uses half the cores (at least 1, at most 4) and turns
 * spinning off, trading some embedding speed for a responsive editor. The options reach onnxruntime through
 * loadClip's `sessionOptions` (transformers.js `session_options`).
 */
export interface NativeThreadSettings {
  /** onnxruntime intra-op threads per session (the calling thread counts as one). */
  onnxThreads: number;
  /** libvips threads per image operation (sharp decodes up to 4 images at once on libuv's pool). */
  imageThreads: number;
}

export function chooseThreadSettings(cores = os.availableParallelism()): NativeThreadSettings {
  const half = Math.min(4, Math.max(1, Math.floor(cores / 2)));
  return { onnxThreads: half, imageThreads: half };
}

let applied: NativeThreadSettings | undefined;

/** Applies the libvips limit once per thread, before the first image is decoded. Returns what is in force. */
export function applyThreadSettings(settings: NativeThreadSettings): NativeThreadSettings {
  if (applied) return applied;
  limitSharp(settings.imageThreads);
  applied = settings;
  return applied;
}

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

function limitSharp(threads: number): void {
  const sharp = getSharp();
  sharp.concurrency(threads);
  // libvips caches operations and open files for reuse; indexing reads each file once, so the cache would
  // only hold memory in the editor's process.
  sharp.cache(false);
}
