/**
 * Dynamic int8 quantisation of an ONNX model's weight matrices, offline and in Node: onnxruntime-node has no
 * quantiser, and neither Python's onnxruntime nor its quantisation tools are installable here (Debian packages
 * python3-onnx, not onnxruntime).
 *
 * Every MatMul whose right-hand side is a constant [K, N] float matrix becomes onnxruntime's contrib
 * DynamicQuantizeMatMul (com.microsoft): the weights stored as int8 with one symmetric scale per output
 * column, the activations quantised to uint8 at run time. That is the q8 layout transformers.js loads as
 * `*_model_quantized.onnx`; everything else (the patch convolution, attention's activation-by-activation
 * MatMuls, layer norms) stays float32.
 */
import { onnx } from 'onnx-proto';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;

/** A float32 tensor's values (raw_data or float_data), or undefined for any other tensor. */
export function floatsOf(t: onnx.ITensorProto): Float32Array | undefined {
  if (t.dataType !== FLOAT) return undefined;
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData); // aligned copy: raw_data may sit at any offset of the file's buffer
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return t.floatData && t.floatData.length > 0 ? Float32Array.from(t.floatData) : undefined;
}

/**
 * Weights use 7 bits (onnxruntime's `reduce_range`): on x86 CPUs without VNNI (AVX2 only, e.g. this AMD EPYC),
 * onnxruntime's uint8 x int8 kernel adds pairs of products into int16 with saturation (255 x 127 x 2 > 32767), and
 * full-range weights gave embeddings at cosine 0.978-0.987 to fp32 there against 0.9997 on a VNNI machine.
 */
const WEIGHT_LIMIT = 63;

/** Symmetric per-column int8 in 7 bits: scale = max |w| of the column / 63, zero point 0. */
export function quantiseColumns(w: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c], Math.abs(w[r * cols + c]));
  }
  for (let c = 0; c < cols; c++) scales[c] = scales[c] > 0 ? scales[c] / WEIGHT_LIMIT : 1;
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      q[r * cols + c] = Math.max(-WEIGHT_LIMIT, Math.min(WEIGHT_LIMIT, Math.round(w[r * cols + c] / scales[c])));
  }
  return { q, scales };
}

export interface QuantiseReport {
  quantised: number;
  floatBytes: number;
  bytesAfter: number;
}

export function quantiseModel(bytes: Uint8Array): { bytes: Uint8Array; report: QuantiseReport } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('the ONNX file holds no graph');
  const nodes = graph.node ?? [];
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const uses = new Map<string, number>();
  for (const node of nodes) for (const input of node.input ?? []) uses.set(input, (uses.get(input) ?? 0) + 1);

  const report: QuantiseReport = { quantised: 0, floatBytes: 0, bytesAfter: 0 };
  const replaced = new Set<string>();
  const added: onnx.ITensorProto[] = [];
  for (const node of nodes) {
    if (node.opType !== 'MatMul' || node.domain || node.input?.length !== 2) continue;
    const weight = initializers.get(node.input[1]);
    const dims = weight?.dims?.map(Number);
    const w = weight ? floatsOf(weight) : undefined;
    if (!weight || !w || dims?.length !== 2 || uses.get(weight.name!) !== 1) continue;
    const [rows, cols] = dims;
    const { q, scales } = quantiseColumns(w, rows, cols);
    const base = weight.name!;
    added.push(
      { name: `${base}_quantized`, dims: [rows, cols], dataType: INT8, rawData: new Uint8Array(q.buffer) },
      { name: `${base}_scale`, dims: [cols], dataType: FLOAT, rawData: new Uint8Array(scales.buffer) },
      { name: `${base}_zero_point`, dims: [cols], dataType: INT8, rawData: new Uint8Array(cols) },
    );
    node.opType = 'DynamicQuantizeMatMul';
    node.domain = 'com.microsoft';
    node.input = [node.input[0], `${base}_quantized`, `${base}_scale`, `${base}_zero_point`];
    replaced.add(base);
    report.quantised++;
    report.floatBytes += w.byteLength;
    report.bytesAfter += q.byteLength + scales.byteLength + cols;
  }
  graph.initializer = [...initializers.values()].filter((t) => !replaced.has(t.name!)).concat(added);
  if (!model.opsetImport.some((o) => o.domain === 'com.microsoft'))
    model.opsetImport.push({ domain: 'com.microsoft', version: 1 });
  return { bytes: onnx.ModelProto.encode(model).finish(), report };
}
