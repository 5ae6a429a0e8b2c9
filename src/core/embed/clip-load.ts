/**
 * Loading CLIP through transformers.js for clip.ts, with its errors turned into VectorTuneErrors, and what
 * clip.ts reads back from the loaded models and processor (ONNX session, input type, image size).
 */
import type * as Transformers from '@huggingface/transformers';
import { VectorTuneError } from '../errors';
import { expectedLayoutHint, type OrtSession } from './model-ref';

export type TransformersModule = typeof Transformers;
export type Model = Transformers.PreTrainedModel;

/** Runs a transformers.js loader and turns its errors into VectorTuneErrors naming the file concerned. */
export async function guardLoad<T>(load: () => Promise<T>, file: string, source: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof VectorTuneError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/not found locally|Could not locate file|404/i.test(message)) {
      throw new VectorTuneError(
        `This model file could not be found (${firstLine(message)}).`,
        file,
        expectedLayoutHint(),
      );
    }
    if (/fetch failed|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network/i.test(message)) {
      throw new VectorTuneError(
        `Downloading ${source} failed (${firstLine(message)}).`,
        file,
        `Check the network, or point Vector Tune at a local folder that holds the model. ${expectedLayoutHint()}`,
      );
    }
    if (file.endsWith('.onnx')) {
      throw new VectorTuneError(`This is not a usable ONNX model (${firstLine(message)}).`, file, expectedLayoutHint());
    }
    throw new VectorTuneError(`This file could not be loaded (${firstLine(message)}).`, file, expectedLayoutHint());
  }
}

/** Awaits a config-side loader and a model loader; if either fails, releases the model the other loaded. */
export async function loadBoth<A, M extends Model>(a: Promise<A>, m: Promise<M>): Promise<[A, M]> {
  const [ra, rm] = await Promise.allSettled([a, m]);
  if (ra.status === 'fulfilled' && rm.status === 'fulfilled') return [ra.value, rm.value];
  if (rm.status === 'fulfilled') await rm.value.dispose();
  throw ra.status === 'rejected' ? ra.reason : (rm as PromiseRejectedResult).reason;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0].trim();
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

export function sessionOf(model: Model): OrtSession {
  const sessions = Object.values(model.sessions) as OrtSession[];
  if (sessions.length !== 1) throw new Error(`expected one ONNX session, found ${sessions.length}`);
  return sessions[0];
}

export function inputTypeOf(session: OrtSession, name: string): string | undefined {
  return session.inputMetadata?.find((m) => m.name === name)?.type;
}

type Processor = Awaited<ReturnType<TransformersModule['AutoImageProcessor']['from_pretrained']>>;

/** The side of the square crop the model sees. */
export function imageSizeOf(processor: Processor, file: string): number {
  const crop = processor.crop_size as unknown;
  const size = processor.size as unknown;
  const candidates = [
    typeof crop === 'number' ? crop : (crop as { height?: number } | undefined)?.height,
    typeof size === 'number' ? size : (size as { shortest_edge?: number; height?: number } | undefined)?.shortest_edge,
    (size as { height?: number } | undefined)?.height,
  ];
  const found = candidates.find((c): c is number => typeof c === 'number' && c > 0);
  if (!found) throw new VectorTuneError('It gives no image size (crop_size or size.shortest_edge).', file);
  return found;
}

/** The processor's shortest_edge, when it resizes that way (CLIP does). */
export function shortestEdgeOf(processor: Processor): number | undefined {
  const size = processor.size as unknown;
  if (!processor.do_resize || processor.do_thumbnail) return undefined;
  const edge = typeof size === 'number' ? size : (size as { shortest_edge?: number } | undefined)?.shortest_edge;
  return typeof edge === 'number' && edge > 0 ? edge : undefined;
}
