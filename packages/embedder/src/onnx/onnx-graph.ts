import { AttributeType, TensorDataType, type AttributeProto, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from './onnx-proto.ts';

export type AttributeValue = number | number[] | string | { float: number };

/** An ONNX graph under construction: nodes in the order they are added (which must be topological). */
export class OnnxGraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();

  /** A tensor name not taken yet, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node whose single output gets a fresh name derived from `name`; returns that output's name. */
  node(opType: string, name: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    const output = this.uniqueName(name);
    this.nodes.push({
      name: output,
      op_type: opType,
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return output;
  }

  /** A float32 constant (weights, biases); returns its name. */
  floatTensor(name: string, dims: number[], values: Float32Array): string {
    return this.tensor(name, dims, TensorDataType.FLOAT, new Uint8Array(toLittleEndian(values)));
  }

  /** An int64 constant (shapes, pads); returns its name. */
  int64Tensor(name: string, values: number[]): string {
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    return this.tensor(name, [values.length], TensorDataType.INT64, new Uint8Array(toLittleEndian(data)));
  }

  build(name: string, inputs: ValueInfoProto[], outputs: ValueInfoProto[], docString?: string): GraphProto {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: inputs,
      output: outputs,
      ...(docString ? { doc_string: docString } : {}),
    };
  }

  private tensor(name: string, dims: number[], dataType: number, raw: Uint8Array): string {
    const unique = this.uniqueName(name);
    this.initializers.push({ name: unique, dims, data_type: dataType, raw_data: raw });
    return unique;
  }
}

/** A float tensor's name and shape; a string dimension is symbolic (e.g. the batch). */
export function floatValueInfo(name: string, shape: Array<number | string>): ValueInfoProto {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: TensorDataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'object') return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.INT, i: value };
}

/** ONNX raw_data is little-endian; so is every machine Node runs on, but say so rather than assume it. */
function toLittleEndian(values: Float32Array | BigInt64Array): ArrayBuffer {
  const copy = values.slice();
  if (!LITTLE_ENDIAN) {
    const bytes = new Uint8Array(copy.buffer);
    const width = copy.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
  }
  return copy.buffer;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
