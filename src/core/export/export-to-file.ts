/**
 * One export, as the CLI and the extension's worker both run it: build the model, check it against the engine,
 * and only then write it and its description.
 */
import type { ClipEncoder } from '../embed/clip';
import type { CommittedHead } from '../eval/committed-heads';
import { checkModelFitsHead } from '../head/apply-head';
import { checkExportedModel, type ExportCheck } from './check-export';
import { buildExportedModel, type ExportDescription, type ExportFrom, writeExportedModel } from './export-heads';

export interface ExportSummary {
  /** The ONNX file and its `<file>.json` description, absolute. */
  model: string;
  json: string;
  bytes: number;
  description: ExportDescription;
  check: ExportCheck;
}

export interface ExportRequest {
  heads: readonly CommittedHead[];
  from: ExportFrom;
  out: string;
  /** The heads' model, loaded: needed from images (its vision graph, and to check the export against it). */
  encoder?: ClipEncoder;
  /** The folder `encoder` was loaded from (from images). */
  modelFolder?: string;
  /** Said when the encoder is not the heads' model. */
  modelHint?: string;
}

export async function exportHeadsToFile(request: ExportRequest): Promise<ExportSummary> {
  const { heads, from, encoder } = request;
  const weights = heads.map((h) => h.weights);
  if (from === 'image' && (!encoder || !request.modelFolder))
    throw new Error('exporting from images needs the loaded model and its folder');
  if (encoder) checkModelFitsHead(weights[0], encoder, request.modelHint);
  const exported = await buildExportedModel(heads, from, request.modelFolder);
  const check = await checkExportedModel(exported.bytes, weights, from, encoder);
  const written = await writeExportedModel(request.out, exported);
  return { ...written, bytes: exported.bytes.length, description: exported.description, check };
}

/** The file's size as the CLI and the extension say it. */
export function exportSize(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} KB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
