import * as path from 'node:path';
import type { ClipEncoder } from '../core/embed/clip';
import { modelRef } from './common-options';
import type { CliIo } from './command';

/** The model reference of --model (or its defaults), a relative folder resolved against the working folder. */
export function cliModelRef(values: { model?: string }, io: CliIo, fallback?: string): string {
  const ref = modelRef(values.model, io.env, fallback);
  const looksLikePath = ref.startsWith('.') || path.isAbsolute(ref);
  return looksLikePath ? path.resolve(io.cwd, ref) : ref;
}

/** Loads CLIP for a CLI command. transformers.js is imported only by the commands that need a model. */
export async function loadModelForCli(
  values: { model?: string; 'model-cache'?: string; offline: boolean },
  io: CliIo,
  fallback?: string,
): Promise<ClipEncoder> {
  const { loadClip } = await import('../core/embed/clip');
  const encoder = await loadClip(cliModelRef(values, io, fallback), {
    cacheDir: values['model-cache'],
    allowDownload: !values.offline,
  });
  io.err(`model: ${encoder.modelId} (${encoder.dimension}-d)`);
  return encoder;
}
