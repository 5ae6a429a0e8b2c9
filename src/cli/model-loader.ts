import * as path from 'node:path';
import type { ClipEncoder } from '../core/embed/clip';
import type { ModelPrecision } from '../core/embed/precision';
import { intraOpThreads, withThreadDefaults } from '../core/embed/threads';
import { modelRef, modelRunOptions } from './common-options';
import type { CliIo } from './command';

/** The model reference of --model (or its defaults), a relative folder resolved against the working folder. */
export function cliModelRef(values: { model?: string }, io: CliIo, fallback?: string): string {
  const ref = modelRef(values.model, io.env, fallback);
  const looksLikePath = ref.startsWith('.') || path.isAbsolute(ref);
  return looksLikePath ? path.resolve(io.cwd, ref) : ref;
}

/** Loads CLIP for a CLI command. transformers.js is imported only by the commands that need a model. */
export async function loadModelForCli(
  values: {
    model?: string;
    'model-cache'?: string;
    offline: boolean;
    precision?: string;
    device?: string;
    threads?: string;
  },
  io: CliIo,
  fallback?: { modelId: string; precision?: ModelPrecision },
): Promise<ClipEncoder> {
  const run = modelRunOptions(values, fallback?.precision); // a usage error shows before the model loads
  const { loadClip } = await import('../core/embed/clip');
  const threads = run.threads === undefined ? undefined : intraOpThreads(run.threads);
  const encoder = await loadClip(cliModelRef(values, io, fallback?.modelId), {
    cacheDir: values['model-cache'],
    allowDownload: !values.offline,
    dtype: run.precision,
    device: run.device,
    log: (line) => io.err(line),
    // Without --threads, onnxruntime's own defaults (one thread per physical core), as the CLI has always run.
    ...(threads === undefined
      ? {}
      : { sessionOptions: withThreadDefaults(undefined, threads) as Record<string, unknown> }),
  });
  const threadText =
    threads === undefined ? "onnxruntime's default threads" : `${threads} thread${threads === 1 ? '' : 's'}`;
  io.err(
    `model: ${encoder.modelId} (${encoder.dimension}-d; ${encoder.precision} on ${encoder.device}, ${threadText})`,
  );
  return encoder;
}
