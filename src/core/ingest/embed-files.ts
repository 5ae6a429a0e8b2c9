import type { ImageEmbedder } from '../embed/encoder';
import { decodeImage, DecodedImage } from '../embed/image';

export interface EmbedFilesOptions {
  batchSize?: number;
  /** Images with more pixels than this are skipped unread (decompression bombs). */
  maxPixels?: number;
  signal?: AbortSignal;
}

export interface EmbeddedBatch<T> {
  embedded: { item: T; vector: Float32Array }[];
  skipped: { item: T; reason: string }[];
}

/**
 * Decodes and embeds files batch by batch, yielding after each batch so callers can commit, report progress
 * or stop. Files that fail to decode are reported with their reason and the run goes on. Stops early (before
 * the next batch) when the signal is aborted.
 */
export async function* embedFiles<T>(
  items: T[],
  fileOf: (item: T) => string,
  embedder: ImageEmbedder,
  options: EmbedFilesOptions = {},
): AsyncGenerator<EmbeddedBatch<T>> {
  const batchSize = options.batchSize ?? 8;
  for (let i = 0; i < items.length; i += batchSize) {
    if (options.signal?.aborted) return;
    const batch = items.slice(i, i + batchSize);
    const decoded = await Promise.all(
      batch.map((item) => decodeImage(fileOf(item), { maxPixels: options.maxPixels, targetShortSide: embedder.imageSize })),
    );
    const good: { item: T; image: DecodedImage }[] = [];
    const skipped: { item: T; reason: string }[] = [];
    decoded.forEach((d, j) => (d.ok ? good.push({ item: batch[j], image: d.image }) : skipped.push({ item: batch[j], reason: d.reason })));
    const vectors = good.length > 0 ? await embedder.embedImages(good.map((g) => g.image)) : [];
    yield { embedded: good.map((g, j) => ({ item: g.item, vector: vectors[j] })), skipped };
  }
}
