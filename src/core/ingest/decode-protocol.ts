/**
 * The messages between the thread that runs the model (decode-pool.ts) and a thread that decodes images for it
 * (decode-thread.ts): defined once, used on both sides.
 */
import type { PixelPreparation } from '../embed/clip-tensors';
import type { DecodedImage } from '../embed/image';

/** What a decode thread is given when it starts (its workerData). */
export interface DecodeSetup {
  /** Larger images are shrunk while decoding so that their short side is this (the model's input size). */
  targetShortSide: number;
  /** Images with more pixels than this are refused unread (decompression bombs). */
  maxPixels: number | undefined;
  /** How to make the model's input; without it the decoded images themselves are sent back. */
  preparation: PixelPreparation | undefined;
  /** Files of a batch decoded at once (each on one of libuv's threads); see DECODE_FILES_AT_ONCE. */
  filesAtOnce: number;
}

/** One batch of files to decode, answered by one FromDecodeThread message with the same id. */
export interface DecodeRequest {
  id: number;
  files: string[];
}

/** Per file, in the request's order: decoded, or the reason it was skipped (decodeImage's). */
export type FileOutcome = { ok: true } | { ok: false; reason: string };

/**
 * The decoded files' model input: `pixels` (pixelsOf's layout, the decoded files in order) when the thread could
 * make it, else the decoded `images` for the model's thread to preprocess. Their buffers are transferred.
 */
export type DecodedInput = { pixels: Float32Array } | { images: DecodedImage[] };

export type FromDecodeThread =
  | { kind: 'decoded'; id: number; outcomes: FileOutcome[]; input: DecodedInput }
  /** Something other than a bad file went wrong (bad files are outcomes): the batch fails with this message. */
  | { kind: 'failed'; id: number; message: string };
