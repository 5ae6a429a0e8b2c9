import * as path from 'node:path';
import { checkExportedModel } from '../../core/export/check-export';
import { buildExportedModel, EXPORT_FROM, type ExportFrom, writeExportedModel } from '../../core/export/export-heads';
import { readCommittedHeads } from '../../core/eval/committed-heads';
import { modelFolderOf } from '../../core/export/vision-source';
import { checkModelFitsHead } from '../../core/head/apply-head';
import { defineCommand, UsageError } from '../command';
import { headListOptions, headNames, modelOptions } from '../common-options';
import { cliModelRef, loadModelForCli } from '../model-loader';

export const exportCommand = defineCommand({
  name: 'export',
  summary:
    'Write committed heads as one ONNX model with outputs logits and probabilities (one column per head, in the order given). ' +
    "From images (default): the heads' own CLIP vision tower, then their centring, L2 and w·x + b; input pixel_values, preprocessed as the model's metadata says. " +
    'From embeddings: input the raw embeddings (a few KB). ' +
    'The model is checked against Vector Tune on a few inputs before it is written; its metadata (and <out>.json beside it) names each head, its weights hash, labels and last report.',
  args: '',
  options: {
    ...headListOptions,
    from: { type: 'string', description: 'What the model takes: image or embedding.', default: 'image' },
    out: { type: 'string', description: 'The ONNX file to write (default: <heads, joined by "+">.onnx).' },
    ...modelOptions,
  },
  examples: [
    'vector-tune export --heads hat,skirt --out clothing-heads.onnx',
    'vector-tune export --heads hat --from embedding --out hat-head.onnx',
  ],
  async run(parsed, io) {
    const v = parsed.values;
    if (parsed.positionals.length > 0)
      throw new UsageError(`unexpected argument "${parsed.positionals[0]}": name the heads with --heads.`);
    const names = headNames(v.heads, 'export');
    const from = v.from as ExportFrom;
    if (!EXPORT_FROM.includes(from)) throw new UsageError(`--from "${v.from}": use image or embedding.`);
    const out = path.resolve(io.cwd, v.out ?? `${names.join('+')}.onnx`);
    const heads = await readCommittedHeads(path.resolve(io.cwd, v['heads-dir']!), names);
    const weights = heads.map((h) => h.weights);

    // The heads' model is needed from images (its vision graph) and to check the export against the engine.
    const encoder = from === 'image' ? await loadModelForCli(v, io, weights[0].model.id) : undefined;
    try {
      if (encoder) checkModelFitsHead(weights[0], encoder);
      const modelFolder = encoder
        ? modelFolderOf(cliModelRef(v, io, weights[0].model.id), v['model-cache'])
        : undefined;
      const exported = await buildExportedModel(heads, from, modelFolder);
      const check = await checkExportedModel(exported.bytes, weights, from, encoder);
      const written = await writeExportedModel(out, exported);
      const { input, outputs } = exported.description;
      io.out(
        `wrote ${path.relative(io.cwd, written.model)} (${megabytes(exported.bytes.length)}): ${input.name} [${input.shape.join(', ')}] -> ${outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ')}`,
      );
      io.out(`  columns: ${names.join(', ')}`);
      io.out(`  ONNX IR ${exported.description.onnx.irVersion}, opset ${exported.description.onnx.opset}`);
      if (exported.description.preprocessing) io.out(`  preprocessing: ${exported.description.preprocessing.summary}`);
      io.out(
        `  checked against Vector Tune on ${check.inputs} inputs: largest logit difference ${check.maxLogitDifference.toExponential(1)}`,
      );
      io.out(`  description: ${path.relative(io.cwd, written.json)}`);
      return 0;
    } finally {
      await encoder?.dispose();
    }
  },
});

function megabytes(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} KB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
