import * as path from 'node:path';
import type { ClipEncoder } from '../core/embed/clip';
import { lowerFirst, VectorTuneError } from '../core/errors';
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

/**
 * Without --model, a command uses the model the store or head records, by its id: for a model loaded from a folder
 * that id is only a name (e.g. "vector-tune/generated-clip-tiny"), so looking it up in the cache and on the hub
 * fails with a download error that never said where the name came from or what to pass.
 */
function recordedModelUnavailable(ref: string, err: unknown): unknown {
  if (!(err instanceof VectorTuneError)) return err;
  return new VectorTuneError(
    `no --model was given, so the model the store or head was embedded with, "${ref}", was looked up by that id, and ${lowerFirst(err.problem)}`,
    err.file,
    `Pass --model with that model's folder (or hub id), or set VECTOR_TUNE_MODEL.${err.hint ? ` ${err.hint}` : ''}`,
  );
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
  const ref = cliModelRef(values, io, fallback?.modelId);
  const load = loadClip(ref, {
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
  const encoder = await load.catch((err: unknown) => {
    throw fallback && !values.model && !io.env.VECTOR_TUNE_MODEL ? recordedModelUnavailable(ref, err) : err;
  });
  const threadText =
    threads === undefined ? "onnxruntime's default threads" : `${threads} thread${threads === 1 ? '' : 's'}`;
  io.err(
    `model: ${encoder.modelId} (${encoder.dimension}-d; ${encoder.precision} on ${encoder.device}, ${threadText})`,
  );
  return encoder;
}
