import * as path from 'node:path';
import { EXPORT_FROM, type ExportFrom } from '../../core/export/export-heads';
import { exportHeadsToFile, exportSize } from '../../core/export/export-to-file';
import { readCommittedHeads } from '../../core/eval/committed-heads';
import { modelFolderOf } from '../../core/export/vision-source';
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
    const encoder = from === 'image' ? await loadModelForCli(v, io, { modelId: weights[0].model.id }) : undefined;
    try {
      const modelFolder = encoder
        ? modelFolderOf(cliModelRef(v, io, weights[0].model.id), v['model-cache'])
        : undefined;
      const written = await exportHeadsToFile({ heads, from, out, encoder, modelFolder });
      const { input, outputs } = written.description;
      io.out(
        `wrote ${path.relative(io.cwd, written.model)} (${exportSize(written.bytes)}): ${input.name} [${input.shape.join(', ')}] -> ${outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ')}`,
      );
      io.out(`  columns: ${names.join(', ')}`);
      io.out(`  ONNX IR ${written.description.onnx.irVersion}, opset ${written.description.onnx.opset}`);
      if (written.description.preprocessing) io.out(`  preprocessing: ${written.description.preprocessing.summary}`);
      io.out(
        `  checked against Vector Tune on ${written.check.inputs} inputs: largest logit difference ${written.check.maxLogitDifference.toExponential(1)}`,
      );
      io.out(`  description: ${path.relative(io.cwd, written.json)}`);
      return 0;
    } finally {
      await encoder?.dispose();
    }
  },
});
