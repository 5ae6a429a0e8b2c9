/**
 * A minimal ONNX graph builder on top of onnx-proto's generated protobuf classes.
 *
 * Only what the two CLIP towers need: float32/int64 initialisers stored as raw_data (so an 87M-element weight
 * is one Float32Array copy, never a JS number array), nodes with int/ints/float attributes, and graph inputs
 * and outputs whose dimensions are numbers or symbolic names (for the dynamic batch and sequence axes).
 */
import { onnx } from 'onnx-proto';

/** ONNX IR 8 with opset 17: the newest pair onnx-proto 8 knows that still has native LayerNormalization. */
export const IR_VERSION = 8;
export const OPSET = 17;

export type Dim = number | string;
export type ElemType = 'float32' | 'int64';
export type AttrValue = number | number[] | { float: number };

const ELEM_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

function valueInfo(name: string, type: ElemType, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Views a typed array's bytes without copying. ONNX raw_data is little-endian, as is every platform Node runs on. */
function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (typeof value === 'object') return { name, type: T.FLOAT, f: value.float };
  // Plain numbers are integer attributes (axis, perm entries...); floats must be marked explicitly with {float}.
  if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer; use { float }`);
  return { name, type: T.INT, i: value };
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;

  constructor(private readonly graphName: string) {}

  /** A fresh tensor name; the prefix keeps the graph readable in Netron when debugging. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.usedNames.has(name));
    this.usedNames.add(name);
    return name;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.usedNames.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 initialiser (weights). */
  weight(name: string, dims: number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`${name}: ${data.length} values for shape [${dims.join(',')}]`);
    this.usedNames.add(name);
    this.initializers.push({ name, dims, dataType: ELEM_TYPE.float32, rawData: bytesOf(data) });
    return name;
  }

  /** A small int64 constant (shapes, axes, indices). */
  ints(values: number[], prefix = 'const'): string {
    const name = this.fresh(prefix);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: ELEM_TYPE.int64, rawData: bytesOf(data) });
    return name;
  }

  /** A float32 scalar constant (rank 0), which broadcasts against anything. */
  scalar(value: number, prefix = 'scalar'): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [], dataType: ELEM_TYPE.float32, rawData: bytesOf(Float32Array.of(value)) });
    return name;
  }

  /** Adds a node with one output and returns that output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outName?: string): string {
    const out = outName ?? this.fresh(opType.toLowerCase());
    this.opN(opType, inputs, [out], attrs);
    return out;
  }

  /** Adds a node with several outputs (Split). */
  opN(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): string[] {
    for (const o of outputs) this.usedNames.add(o);
    this.nodes.push({
      opType,
      name: this.fresh(`n_${opType}`),
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** Serialises the model. Deterministic: the same calls in the same order give the same bytes. */
  encode(docString: string): Uint8Array {
    const model: onnx.IModelProto = {
      irVersion: IR_VERSION,
      producerName: 'vector-tune generate-model',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}
