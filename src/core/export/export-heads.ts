/**
 * `vector-tune export`: one or more committed heads of one model as a single ONNX model.
 * - from `image`: the head's own vision tower (the model folder's `onnx/vision_model.onnx`, decoded and kept
 *   as it is, not rebuilt), then the engine's L2 normalisation of its `image_embeds`, then the heads;
 * - from `embedding`: the raw embeddings in, the heads alone (a few KB).
 * Both give `logits` and `probabilities`, one column per head in the order given, and describe themselves in
 * the model's metadata_props (and the same as JSON in `<file>.json` beside it).
 */
import * as fs from 'node:fs/promises';
import { onnx } from 'onnx-proto';
import { VectorTuneError } from '../errors';
import { type CommittedHead } from '../eval/committed-heads';
import type { LastReport } from '../eval/last-report';
import { writeFileAtomic } from '../fs/durable';
import { VECTOR_TUNE_VERSION } from '../version';
import { currentCalibration } from '../head/weights-file';
import { appendHeads, LOGITS, PROBABILITIES, probabilityKind } from './head-graph';
import { encodeModel, GraphBuilder, IR_VERSION, metadataProps, OPSET } from './onnx-graph';
import { type ImagePreprocessing, readImagePreprocessing, visionGraphFile } from './vision-source';

export type ExportFrom = 'image' | 'embedding';
export const EXPORT_FROM: readonly ExportFrom[] = ['image', 'embedding'];

export const PIXELS_INPUT = 'pixel_values';
export const EMBEDDINGS_INPUT = 'embeddings';
const VISION_OUTPUT = 'image_embeds';
/** The oldest opset whose operators head-graph.ts's nodes mean what they say. */
const OLDEST_VISION_OPSET = 13;

/** What an exported model says about itself: metadata_props (each value JSON) and `<file>.json`. */
export interface ExportDescription {
  format: 'vector-tune-onnx-heads';
  version: 1;
  tool: { name: 'vector-tune'; version: string };
  from: ExportFrom;
  model: { id: string; dimension: number };
  input: { name: string; shape: (string | number)[]; dtype: 'float32'; description: string };
  /** What a caller must do to an image first (from image), or null (from embedding: nothing, the model centres and normalises). */
  preprocessing: ImagePreprocessing | null;
  outputs: { name: string; shape: (string | number)[]; description: string }[];
  /** One per output column, in order. */
  heads: {
    name: string;
    weightsSha256: string;
    labelsCount: number;
    labelsRounds: number;
    lastReport: LastReport | null;
    /** How its `probabilities` column is made: the sigmoid of the logit, or its calibration (calibrate). */
    probability: 'sigmoid' | 'platt' | 'isotonic';
    /** Its decision: positive when the logit is above this (the calibrated threshold, else 0). */
    threshold: number;
  }[];
  onnx: { irVersion: number; opset: number };
}

export interface ExportedModel {
  bytes: Uint8Array;
  description: ExportDescription;
}

/** Builds the model in memory. `modelFolder` (from image) is the heads' model, already checked to be theirs. */
export async function buildExportedModel(
  heads: readonly CommittedHead[],
  from: ExportFrom,
  modelFolder?: string,
): Promise<ExportedModel> {
  const weights = heads.map((h) => h.weights);
  const { id, dimension } = weights[0].model;
  let model: onnx.IModelProto;
  let input: ExportDescription['input'];
  let preprocessing: ImagePreprocessing | null = null;
  if (from === 'image') {
    if (!modelFolder) throw new Error('exporting from images needs the model folder');
    preprocessing = await readImagePreprocessing(modelFolder);
    model = await visionModel(visionGraphFile(modelFolder), dimension);
    const g = new GraphBuilder(model.graph!.name ?? 'vector_tune_heads', model.graph!);
    for (const output of model.graph!.output ?? []) g.removeOutput(output.name!);
    appendHeads(g, VISION_OUTPUT, weights, { normaliseInput: true });
    model = { ...model, graph: g.graph() };
    const crop = preprocessing.centreCrop;
    input = {
      name: PIXELS_INPUT,
      shape: ['batch_size', 3, crop?.height ?? 'height', crop?.width ?? 'width'],
      dtype: 'float32',
      description: `images, preprocessed: ${preprocessing.summary}`,
    };
  } else {
    const g = new GraphBuilder('vector_tune_heads');
    g.input(EMBEDDINGS_INPUT, 'float32', ['batch_size', dimension]);
    appendHeads(g, EMBEDDINGS_INPUT, weights, { normaliseInput: false });
    model = { irVersion: IR_VERSION, opsetImport: [{ domain: '', version: OPSET }], graph: g.graph() };
    input = {
      name: EMBEDDINGS_INPUT,
      shape: ['batch_size', dimension],
      dtype: 'float32',
      description: `raw ${dimension}-d embeddings of ${id}, as the model gives them (the exported model centres and L2-normalises them as each head does)`,
    };
  }
  const description: ExportDescription = {
    format: 'vector-tune-onnx-heads',
    version: 1,
    tool: { name: 'vector-tune', version: VECTOR_TUNE_VERSION },
    from,
    model: { id, dimension },
    input,
    preprocessing,
    outputs: [
      {
        name: LOGITS,
        shape: ['batch_size', heads.length],
        description: "w·x + b of each head (x: the embedding after the head's centring and L2); positive above 0",
      },
      {
        name: PROBABILITIES,
        shape: ['batch_size', heads.length],
        description:
          "sigmoid of the logits; for a calibrated head its calibrated probability: sigmoid(a·logit + c) with Platt scaling, the fitted step function (knots interpolated linearly) with isotonic regression (see each head's probability)",
      },
    ],
    heads: heads.map((h) => ({
      name: h.weights.name,
      weightsSha256: h.weightsSha256,
      labelsCount: h.weights.labels.count,
      labelsRounds: h.weights.labels.rounds,
      lastReport: h.lastReport,
      probability: probabilityKind(h.weights),
      threshold: currentCalibration(h.weights)?.threshold.logit ?? 0,
    })),
    onnx: { irVersion: Number(model.irVersion), opset: defaultOpset(model) },
  };
  const metadata = Object.fromEntries(
    Object.entries(description).map(([key, value]) => [`vector_tune.${key}`, JSON.stringify(value)]),
  );
  const bytes = encodeModel({
    ...model,
    producerName: 'vector-tune export',
    producerVersion: VECTOR_TUNE_VERSION,
    docString: `Vector Tune heads ${heads.map((h) => h.weights.name).join(', ')} of ${id}, from ${from === 'image' ? 'images' : 'embeddings'}.`,
    ...metadataProps(metadata),
  });
  return { bytes, description };
}

/** Writes `<file>` and `<file>.json` (each atomically); returns their paths. */
export async function writeExportedModel(
  file: string,
  exported: ExportedModel,
): Promise<{ model: string; json: string }> {
  const json = `${file}.json`;
  await writeFileAtomic(file, exported.bytes);
  await writeFileAtomic(json, JSON.stringify(exported.description, null, 1) + '\n');
  return { model: file, json };
}

/** The vision tower, decoded, checked to be one the heads can follow. */
async function visionModel(file: string, dimension: number): Promise<onnx.IModelProto> {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(await fs.readFile(file));
  } catch (err) {
    throw new VectorTuneError(`cannot read this ONNX model (${(err as Error).message}).`, file);
  }
  const graph = model.graph;
  if (!graph) throw new VectorTuneError('this ONNX model holds no graph.', file);
  if (!graph.input?.some((i) => i.name === PIXELS_INPUT) || !graph.output?.some((o) => o.name === VISION_OUTPUT))
    throw new VectorTuneError(
      `this is not a CLIP vision tower: it needs an input ${PIXELS_INPUT} and an output ${VISION_OUTPUT}.`,
      file,
    );
  const embedDims = graph.output.find((o) => o.name === VISION_OUTPUT)?.type?.tensorType?.shape?.dim ?? [];
  const width = embedDims.length === 2 ? Number(embedDims[1].dimValue ?? 0) : 0;
  if (width > 0 && width !== dimension)
    throw new VectorTuneError(
      `its ${VISION_OUTPUT} are ${width}-d, but the heads were trained on ${dimension}-d embeddings.`,
      file,
    );
  if (graph.initializer?.some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL))
    throw new VectorTuneError(
      'its weights are kept in an external data file, which export does not copy.',
      file,
      'Use a model whose vision_model.onnx holds its weights.',
    );
  const opset = defaultOpset(model);
  if (opset < OLDEST_VISION_OPSET)
    throw new VectorTuneError(`it uses ONNX opset ${opset}; export needs ${OLDEST_VISION_OPSET} or newer.`, file);
  return model;
}

/** The version of the standard ONNX operator set ('' or 'ai.onnx') a model imports. */
function defaultOpset(model: onnx.IModelProto): number {
  const entry = model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx');
  return Number(entry?.version ?? 0);
}
