import * as os from 'node:os';
import { getSharp } from '../core/embed/image';
import { intraOpThreads } from '../core/embed/threads';

export { withThreadDefaults } from '../core/embed/threads';

/**
 * CPU limits for the native libraries the engine runs inside the editor's extension host.
 *
 * onnxruntime's defaults suit a server: one intra-op thread per physical core, and pool threads that spin
 * (busy-wait) between operators. On a 2-core laptop or code-server box that keeps both cores busy while
 * indexing and makes the editor stutter. By default the worker uses half the cores (at least 1, at most 4) and
 * turns spinning off, trading some embedding speed for a responsive editor; the `vectorTune.threads` setting
 * asks for another count (0: all cores). The options reach onnxruntime through loadClip's `sessionOptions`
 * (transformers.js `session_options`).
 */
export interface NativeThreadSettings {
  /** onnxruntime intra-op threads per session (the calling thread counts as one). */
  onnxThreads: number;
  /** libvips threads per image operation (sharp decodes up to 4 images at once on libuv's pool). */
  imageThreads: number;
}

/** `requested`: the setting; null (its default) for half the cores. */
export function chooseThreadSettings(
  cores = os.availableParallelism(),
  requested: number | null = null,
): NativeThreadSettings {
  const threads =
    requested === null ? Math.min(4, Math.max(1, Math.floor(cores / 2))) : intraOpThreads(requested, cores);
  return { onnxThreads: threads, imageThreads: threads };
}

let applied: NativeThreadSettings | undefined;

/** Applies the libvips limit (before a model is loaded, so before its images are decoded). Returns what is in force. */
export function applyThreadSettings(settings: NativeThreadSettings): NativeThreadSettings {
  if (applied?.imageThreads !== settings.imageThreads) limitSharp(settings.imageThreads);
  applied = settings;
  return applied;
}

function limitSharp(threads: number): void {
  const sharp = getSharp();
  sharp.concurrency(threads);
  // libvips caches operations and open files for reuse; indexing reads each file once, so the cache would
  // only hold memory in the editor's process.
  sharp.cache(false);
}
