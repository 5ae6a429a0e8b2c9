/**
 * An exported model checked against the engine before anyone relies on it: onnxruntime runs it on a few
 * seeded inputs, and its logits must be the engine's own for the same inputs. From images, the inputs are
 * noise images through the engine's preprocessing (so the vision graph is the one the engine runs); from
 * embeddings, noise vectors.
 */
import type { ClipEncoder } from '../embed/clip';
import type { DecodedImage } from '../embed/image';
import { VectorTuneError } from '../errors';
import { logitsOfRaw } from '../head/apply-head';
import { currentCalibration, type HeadWeights } from '../head/weights-file';
import { calibratedProbability } from '../calibration/calibration';
import { seededRandom } from '../util/random';
import { EMBEDDINGS_INPUT, type ExportFrom, PIXELS_INPUT } from './export-heads';
import { LOGITS, PROBABILITIES } from './head-graph';

/** float32 through a vision tower and a 512-term dot product, against the engine's float64 head: far above both. */
export const EXPORT_TOLERANCE = 1e-3;
const CHECK_INPUTS = 4;

export interface ExportCheck {
  inputs: number;
  /** Largest |exported logit - engine logit| over every input and head. */
  maxLogitDifference: number;
}

/** Runs the check; throws when the exported model does not give the engine's logits. */
export async function checkExportedModel(
  bytes: Uint8Array,
  heads: readonly HeadWeights[],
  from: ExportFrom,
  encoder?: ClipEncoder,
): Promise<ExportCheck> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes);
  try {
    const random = seededRandom(20_16);
    let feed: Record<string, InstanceType<typeof ort.Tensor>>;
    let embeddings: Float32Array[];
    if (from === 'image') {
      if (!encoder) throw new Error('checking a model from images needs the encoder');
      const batch = await encoder.preprocessImages(noiseImages(encoder.imageSize, random));
      const pixels = batch.pixelValues;
      feed = { [PIXELS_INPUT]: new ort.Tensor('float32', pixels.data as Float32Array, pixels.dims) };
      embeddings = await encoder.embedPixels(batch);
    } else {
      const d = heads[0].model.dimension;
      const data = Float32Array.from({ length: CHECK_INPUTS * d }, () => random() - 0.3);
      feed = { [EMBEDDINGS_INPUT]: new ort.Tensor('float32', data, [CHECK_INPUTS, d]) };
      embeddings = Array.from({ length: CHECK_INPUTS }, (_, r) => data.subarray(r * d, (r + 1) * d));
    }
    const outputs = await session.run(feed);
    const exported = outputs[LOGITS].data as Float32Array;
    const probabilities = outputs[PROBABILITIES].data as Float32Array;
    let maxLogitDifference = 0;
    let maxProbabilityDifference = 0;
    embeddings.forEach((embedding, r) => {
      heads.forEach((head, h) => {
        const engine = logitsOfRaw(head, embedding, 1)[0];
        maxLogitDifference = Math.max(maxLogitDifference, Math.abs(exported[r * heads.length + h] - engine));
        // The probability of the model's own logit, as the engine maps it (its calibration, else the sigmoid).
        const calibration = currentCalibration(head);
        const logit = exported[r * heads.length + h];
        const expected = calibration ? calibratedProbability(calibration, logit) : 1 / (1 + Math.exp(-logit));
        maxProbabilityDifference = Math.max(
          maxProbabilityDifference,
          Math.abs(probabilities[r * heads.length + h] - expected),
        );
      });
    });
    if (!(maxProbabilityDifference <= EXPORT_TOLERANCE))
      throw new VectorTuneError(
        `the exported model's probabilities differ from Vector Tune's own by up to ${maxProbabilityDifference}; nothing was written.`,
        undefined,
        'Please report this with the heads you exported.',
      );
    if (!(maxLogitDifference <= EXPORT_TOLERANCE)) {
      throw new VectorTuneError(
        `the exported model's logits differ from Vector Tune's own by up to ${maxLogitDifference} on ${embeddings.length} test inputs (allowed: ${EXPORT_TOLERANCE}); nothing was written.`,
        undefined,
        'Please report this with the model you exported from.',
      );
    }
    return { inputs: embeddings.length, maxLogitDifference };
  } finally {
    await session.release();
  }
}

/** Seeded noise, a little wider than the model's square so the centre crop has work to do. */
function noiseImages(size: number, random: () => number): DecodedImage[] {
  return Array.from({ length: CHECK_INPUTS }, () => {
    const width = size + 16;
    const data = Uint8Array.from({ length: width * size * 3 }, () => Math.floor(random() * 256));
    return { data, width, height: size, channels: 3 as const };
  });
}
