/**
 * A minimal ONNX graph builder on top of onnx-proto's generated protobuf classes: the generated test models
 * (tools/generate-model) are built with it, and `vector-tune export` extends a model's vision graph with it.
 *
 * Only what those need: float32/float64/int64 initialisers stored as raw_data (so an 87M-element weight is one
 * Float32Array copy, never a JS number array), nodes with int/ints/float attributes, and graph inputs and
 * outputs whose dimensions are numbers or symbolic names (for the dynamic batch and sequence axes).
 */
import { onnx } from 'onnx-proto';

/** ONNX IR 8 with opset 17: the newest pair onnx-proto 8 knows that still has native LayerNormalization. */
export const IR_VERSION = 8;
export const OPSET = 17;

export type Dim = number | string;
export type ElemType = 'float32' | 'float64' | 'int64';
export type AttrValue = number | number[] | { float: number };

const ELEM_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
};

/** ONNX's numbers for the element types, as Cast's `to` attribute takes them. */
export const CAST_TO: Record<ElemType, number> = ELEM_TYPE;

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
function bytesOf(data: Float32Array | Float64Array | BigInt64Array): Uint8Array {
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
  private readonly valueInfo: onnx.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;

  /**
   * A new graph, or one that goes on from `base` (a decoded model's graph): its nodes, weights, inputs and
   * outputs are kept, and every name in it is taken, so fresh() never collides with one.
   */
  constructor(
    private readonly graphName: string,
    base?: onnx.IGraphProto,
  ) {
    if (!base) return;
    this.nodes.push(...(base.node ?? []));
    this.initializers.push(...(base.initializer ?? []));
    this.inputs.push(...(base.input ?? []));
    this.outputs.push(...(base.output ?? []));
    this.valueInfo.push(...(base.valueInfo ?? []));
    for (const named of [...this.initializers, ...this.inputs, ...this.outputs, ...this.valueInfo])
      if (named.name) this.usedNames.add(named.name);
    for (const node of this.nodes) {
      for (const name of [...(node.input ?? []), ...(node.output ?? []), node.name ?? '']) this.usedNames.add(name);
    }
  }

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

  /** Stops offering a graph output (the node that makes it stays, when other nodes read it). */
  removeOutput(name: string): void {
    const at = this.outputs.findIndex((o) => o.name === name);
    if (at < 0) throw new Error(`the graph has no output called ${name}`);
    this.outputs.splice(at, 1);
  }

  /** Does the graph hold a tensor of this name (input, output, weight or node output)? */
  has(name: string): boolean {
    return this.usedNames.has(name);
  }

  /** A float32 initialiser (weights). */
  weight(name: string, dims: number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`${name}: ${data.length} values for shape [${dims.join(',')}]`);
    this.usedNames.add(name);
    this.initializers.push({ name, dims, dataType: ELEM_TYPE.float32, rawData: bytesOf(data) });
    return name;
  }

  /**
   * A float64 initialiser: for the few steps that must match the engine's double arithmetic (an isotonic
   * calibration's knots, whose float32 rounding a steep segment would magnify).
   */
  weight64(name: string, dims: number[], data: Float64Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`${name}: ${data.length} values for shape [${dims.join(',')}]`);
    this.usedNames.add(name);
    this.initializers.push({ name, dims, dataType: ELEM_TYPE.float64, rawData: bytesOf(data) });
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

  /** The graph as built so far. */
  graph(): onnx.IGraphProto {
    return {
      name: this.graphName,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
      ...(this.valueInfo.length > 0 ? { valueInfo: this.valueInfo } : {}),
    };
  }

  /**
   * Serialises a new model of this graph (IR 8, opset 17). Deterministic: the same calls in the same order give
   * the same bytes.
   */
  encode(
    docString: string,
    producer: Producer = GENERATED_MODEL_PRODUCER,
    metadata: Record<string, string> = {},
  ): Uint8Array {
    return encodeModel({
      irVersion: IR_VERSION,
      producerName: producer.name,
      producerVersion: producer.version,
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: this.graph(),
      ...metadataProps(metadata),
    });
  }
}

export interface Producer {
  name: string;
  version: string;
}

const GENERATED_MODEL_PRODUCER: Producer = { name: 'vector-tune generate-model', version: '1' };

export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** ONNX's free-form key/value metadata (metadata_props); left out when empty, so older models keep their bytes. */
export function metadataProps(metadata: Record<string, string>): Pick<onnx.IModelProto, 'metadataProps'> {
  const entries = Object.entries(metadata);
  return entries.length > 0 ? { metadataProps: entries.map(([key, value]) => ({ key, value })) } : {};
}
