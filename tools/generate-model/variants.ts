/**
 * The fp16 and q8 files of a model folder, made from its fp32 towers under the names transformers.js loads
 * for each dtype (`onnx/<tower>_model_fp16.onnx`, `onnx/<tower>_model_quantized.onnx`), so precision selection
 * is tested on the generated model as it works on the hub's.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { onnxFileName } from '../../src/core/embed/model-ref';
import type { ModelPrecision } from '../../src/core/embed/precision';
import { halveModel } from './fp16';
import { writeFileAtomic } from './generate';
import { quantiseModel } from './quantise';

const CONVERT: Record<
  Exclude<ModelPrecision, 'fp32'>,
  (bytes: Uint8Array) => { bytes: Uint8Array; summary: string }
> = {
  fp16: (bytes) => {
    const { bytes: out, report } = halveModel(bytes);
    return { bytes: out, summary: `${report.tensors} float tensors halved (${report.clamped} values clamped)` };
  },
  q8: (bytes) => {
    const { bytes: out, report } = quantiseModel(bytes);
    const mb = (n: number) => (n / 1e6).toFixed(0);
    return {
      bytes: out,
      summary: `${report.quantised} weight matrices quantised (${mb(report.floatBytes)} MB of float32 -> ${mb(report.bytesAfter)} MB)`,
    };
  },
};

/** Writes both towers at each precision beside the fp32 files, skipping files already there. Returns the folder. */
export async function writePrecisionVariants(
  modelDir: string,
  precisions: readonly ModelPrecision[],
  log: (line: string) => void = () => {},
): Promise<string> {
  for (const precision of precisions) {
    if (precision === 'fp32') continue;
    for (const tower of ['vision', 'text'] as const) {
      const out = path.join(modelDir, onnxFileName(tower, precision));
      if (await exists(out)) continue;
      const started = Date.now();
      const { bytes, summary } = CONVERT[precision](await fs.readFile(path.join(modelDir, onnxFileName(tower))));
      await writeFileAtomic(out, bytes);
      log(`${precision} ${tower} tower: ${summary}, ${((Date.now() - started) / 1000).toFixed(1)} s: ${out}`);
    }
  }
  return modelDir;
}

function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
