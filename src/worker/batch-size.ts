import { VectorTuneError } from '../core/errors';

/** Largest batch the panel can ask for: a scan is cheap, but a batch is shown as images in one panel. */
const MAX_BATCH = 500;

export function checkBatchSize(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_BATCH)
    throw new VectorTuneError(`the batch size must be a whole number from 1 to ${MAX_BATCH}, got ${k}.`);
}
