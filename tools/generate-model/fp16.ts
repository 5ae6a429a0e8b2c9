/**
 * Half-precision (fp16) conversion of an ONNX model, offline and in Node, as Python's onnxconverter-common
 * `convert_float_to_float16` does it (which is not installable here): every float32 weight becomes float16
 * (clamped to +-65504, so CLIP's -1e9 attention mask stays finite), and so do the graph's float inputs and
 * outputs and every Cast to float. That is the layout of the hub's `*_model_fp16.onnx` files, whose
 * pixel_values and embeddings are float16 (loadClip converts the pixels and the embeddings).
 *
 * onnxruntime's CPU provider lacks float16 kernels for several operators; it inserts casts around those
 * itself, which is why fp16 saves memory and disk on the CPU rather than time.
 */
import { onnx } from 'onnx-proto';
import { float32BitsToHalfBits } from '../../src/core/io/float16';
import { floatsOf } from './quantise';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
/** The largest finite half. */
const HALF_MAX = 65504;

export interface HalfReport {
  tensors: number;
  /** Weights beyond the half range, clamped to it. */
  clamped: number;
}

function toHalf(values: Float32Array, report: HalfReport): Uint8Array {
  const halves = new Uint16Array(values.length);
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    f[0] = Math.abs(v) > HALF_MAX ? Math.sign(v) * HALF_MAX : v;
    if (f[0] !== v) report.clamped++;
    halves[i] = float32BitsToHalfBits(bits[0]);
  }
  return new Uint8Array(halves.buffer);
}

function halveType(info: onnx.IValueInfoProto): void {
  const tensor = info.type?.tensorType;
  if (tensor?.elemType === FLOAT) tensor.elemType = FLOAT16;
}

export function halveModel(bytes: Uint8Array): { bytes: Uint8Array; report: HalfReport } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('the ONNX file holds no graph');
  const report: HalfReport = { tensors: 0, clamped: 0 };
  for (const t of graph.initializer ?? []) {
    const values = floatsOf(t);
    if (!values) continue;
    t.rawData = toHalf(values, report);
    t.floatData = [];
    t.dataType = FLOAT16;
    report.tensors++;
  }
  for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) halveType(info);
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Cast' || node.domain) continue;
    for (const a of node.attribute ?? []) if (a.name === 'to' && Number(a.i) === Number(FLOAT)) a.i = FLOAT16;
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), report };
}
