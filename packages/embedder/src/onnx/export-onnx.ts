import * as tf from '@tensorflow/tfjs';
import { floatValueInfo, OnnxGraphBuilder } from './onnx-graph.ts';
import { encodeModel } from './onnx-proto.ts';

/** Names of the exported graph's input (NHWC float32, [batch, size, size, 3]) and output ([batch, dim]). */
export const ONNX_INPUT_NAME = 'input_image';
export const ONNX_OUTPUT_NAME = 'embedding';

// Opset 17 (ONNX 1.12, 2022) has every op used here in its current form; ONNX Runtime 1.14+ runs it.
const OPSET = 17;
const IR_VERSION = 8;

export interface OnnxExportOptions {
  /** written into the file's metadata_props (e.g. the embedder spec), for provenance */
  metadata?: Record<string, string>;
  docString?: string;
}

/**
 * Converts a TF.js layers model (image NHWC -> vector: the ResNet towers with their projection head) to
 * the bytes of an ONNX model for inference.
 *
 * - Layout: the graph takes the same NHWC float32 input as TF.js, with a symbolic batch dimension, and
 *   transposes it to NCHW once, inside the graph (ONNX Conv is NCHW; ONNX Runtime then picks its own
 *   blocked layout). Callers pass the same buffers to both engines.
 * - Batch norm is folded into the convolution it follows (W' = W * g/sqrt(v+e), b' = (b-m) * g/sqrt(v+e) + beta,
 *   computed in float64), so inference runs no BatchNormalization op; a batch norm that follows anything
 *   else becomes an ONNX BatchNormalization.
 * - ZeroPadding2D becomes the pads of the Conv (or MaxPool over non-negative values) that reads it, else a Pad.
 * - Dropout (and the other training-only noise layers) is the identity at inference and disappears.
 *
 * Throws, naming the layer, on anything it cannot translate exactly.
 */
export async function exportOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const input = model.inputs[0];
  const output = model.outputs[0];
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || !input || !output) {
    throw new Error(`export-onnx: the model must have one input and one output, it has ${model.inputs.length} and ${model.outputs.length}`);
  }
  const [, height, width, channels] = input.shape;
  if (input.shape.length !== 4 || !height || !width || !channels) {
    throw new Error(`export-onnx: the input must be [batch, height, width, channels] with fixed sizes, got [${input.shape.join(', ')}]`);
  }
  if (output.shape.length !== 2 || !output.shape[1]) {
    throw new Error(`export-onnx: the output must be [batch, features], got [${output.shape.join(', ')}]`);
  }

  const graph = new OnnxGraphBuilder();
  graph.uniqueName(ONNX_INPUT_NAME);
  graph.uniqueName(ONNX_OUTPUT_NAME);
  const converter = new LayerConverter(graph, model);
  const nchw = graph.node('Transpose', 'input_nchw', [ONNX_INPUT_NAME], { perm: [0, 3, 1, 2] });
  converter.values.set(input.id, { name: nchw, rank: 4, nonNegative: false });
  for (const node of converter.nodes) await converter.convert(node);

  const result = converter.materialize(converter.valueOf(output), 'output');
  graph.node('Identity', ONNX_OUTPUT_NAME, [result.name]);
  // The Identity above was given a derived name because ONNX_OUTPUT_NAME was reserved; point it at the real one.
  graph.nodes[graph.nodes.length - 1]!.output = [ONNX_OUTPUT_NAME];

  const bytes = encodeModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'cbmir',
    producer_version: `tfjs-layers ${tf.version['tfjs-layers']}`,
    graph: graph.build(
      model.name || 'embedder',
      [floatValueInfo(ONNX_INPUT_NAME, ['batch', height, width, channels])],
      [floatValueInfo(ONNX_OUTPUT_NAME, ['batch', output.shape[1]])],
      options.docString,
    ),
    metadata_props: Object.entries({ 'cbmir.input_layout': 'NHWC', ...options.metadata }).map(([key, value]) => ({ key, value })),
  });
  return bytes;
}

/** A tensor of the ONNX graph: rank 4 is NCHW, rank 2 is [batch, features]. */
interface Value {
  name: string;
  rank: 2 | 4;
  /** known >= 0 (after ReLU), which lets a zero padding fold into a max pool */
  nonNegative: boolean;
  /** a ZeroPadding2D not emitted yet: its consumer folds it in, or materialize() emits a Pad */
  pendingPad?: { source: Value; pads: Pads };
}

/** [top, left, bottom, right], ONNX's order for 2-D pads. */
type Pads = [number, number, number, number];

interface GraphNode {
  layer: tf.layers.Layer;
  inputs: tf.SymbolicTensor[];
  outputs: tf.SymbolicTensor[];
}

const IDENTITY_AT_INFERENCE = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

class LayerConverter {
  readonly values = new Map<number, Value>();
  readonly nodes: GraphNode[];
  private readonly consumers = new Map<number, GraphNode[]>();
  private readonly folded = new Set<GraphNode>();

  constructor(
    private readonly graph: OnnxGraphBuilder,
    private readonly model: tf.LayersModel,
  ) {
    this.nodes = topologicalNodes(model);
    for (const node of this.nodes) {
      for (const t of node.inputs) this.consumers.set(t.id, [...(this.consumers.get(t.id) ?? []), node]);
    }
  }

  valueOf(tensor: tf.SymbolicTensor): Value {
    const value = this.values.get(tensor.id);
    if (!value) throw new Error(`export-onnx: tensor ${tensor.name} is used before it is computed`);
    return value;
  }

  async convert(node: GraphNode): Promise<void> {
    if (this.folded.has(node)) return;
    const { layer } = node;
    const className = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    const name = layer.name;
    const inputs = node.inputs.map((t) => this.valueOf(t));
    const [x] = inputs;
    const out = node.outputs[0]!;
    if (node.outputs.length !== 1 || !x) throw new Error(`export-onnx: layer ${name} (${className}) must have one output and an input`);
    const set = (value: Value) => this.values.set(out.id, value);

    if (IDENTITY_AT_INFERENCE.has(className)) return void set(x);

    switch (className) {
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
        this.assertChannelsLast(config, name);
        const base = x.pendingPad ?? { source: x, pads: [0, 0, 0, 0] as Pads };
        const pads = base.pads.map((p, i) => p + [top, left, bottom, right][i]!) as Pads;
        return void set({ ...base.source, pendingPad: { source: base.source, pads } });
      }
      case 'Conv2D':
        return void set(await this.conv(node, x, config));
      case 'BatchNormalization':
        return void set(await this.batchNorm(layer, this.materialize(x, name), config));
      case 'Activation':
      case 'ReLU': {
        const activation = className === 'ReLU' ? reluLayerActivation(config, name) : String(config.activation);
        return void set(this.activate(this.materialize(x, name), activation, name, name));
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        return void set(this.pool(className, x, config, name, node.inputs[0]!));
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        this.assertChannelsLast(config, name);
        if (config.keepDims) throw new Error(`export-onnx: layer ${name}: keepDims is not supported`);
        const v = this.materialize(x, name);
        const op = className === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool';
        const pooled = this.graph.node(op, `${name}_4d`, [v.name]);
        return void set({ name: this.graph.node('Flatten', name, [pooled], { axis: 1 }), rank: 2, nonNegative: v.nonNegative });
      }
      case 'Add': {
        const vs = inputs.map((v) => this.materialize(v, name));
        let sum = vs[0]!.name;
        for (let i = 1; i < vs.length; i++) sum = this.graph.node('Add', name, [sum, vs[i]!.name]);
        return void set({ name: sum, rank: vs[0]!.rank, nonNegative: vs.every((v) => v.nonNegative) });
      }
      case 'Flatten': {
        // Keras flattens in NHWC order: go back to it first.
        const v = this.materialize(x, name);
        const source = v.rank === 4 ? this.graph.node('Transpose', `${name}_nhwc`, [v.name], { perm: [0, 2, 3, 1] }) : v.name;
        return void set({ name: this.graph.node('Flatten', name, [source], { axis: 1 }), rank: 2, nonNegative: v.nonNegative });
      }
      case 'Dense':
        return void set(await this.dense(layer, this.materialize(x, name), config));
      default:
        throw new Error(
          `export-onnx: layer ${name} (${className}) has no ONNX translation; supported: Conv2D, BatchNormalization, ` +
            'Activation, ReLU, ZeroPadding2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, Add, Flatten, Dense, Dropout',
        );
    }
  }

  /** Emits a pending zero padding as a Pad node; other values pass through. */
  materialize(value: Value, name: string): Value {
    if (!value.pendingPad) return value;
    const { source, pads } = value.pendingPad;
    const [top, left, bottom, right] = pads;
    const padsTensor = this.graph.int64Tensor(`${name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
    return { name: this.graph.node('Pad', `${name}_pad`, [source.name, padsTensor]), rank: 4, nonNegative: source.nonNegative };
  }

  private async conv(node: GraphNode, x: Value, config: Record<string, unknown>): Promise<Value> {
    const { layer } = node;
    const name = layer.name;
    this.assertChannelsLast(config, name);
    const [kh, kw] = config.kernelSize as [number, number];
    const strides = config.strides as [number, number];
    const dilations = config.dilationRate as [number, number] | number;
    const dil = typeof dilations === 'number' ? [dilations, dilations] : dilations;
    if ((config.groups as number | undefined) !== undefined && config.groups !== 1)
      throw new Error(`export-onnx: layer ${name}: grouped convolution is not supported`);

    const weights = layer.getWeights();
    const kernel = (await weights[0]!.data()) as Float32Array;
    const bias = config.useBias ? ((await weights[1]!.data()) as Float32Array) : undefined;
    const cin = weights[0]!.shape[2]!;
    const cout = weights[0]!.shape[3]!;

    // Fold the batch norm that is this convolution's only reader, when nothing non-linear sits between.
    let scale: Float64Array | undefined;
    let shift: Float64Array | undefined;
    let outTensor = node.outputs[0]!;
    const readers = this.consumers.get(outTensor.id) ?? [];
    const bn = readers.length === 1 && readers[0]!.layer.getClassName() === 'BatchNormalization' ? readers[0]! : undefined;
    if (bn && config.activation === 'linear' && !this.model.outputs.some((t) => t.id === outTensor.id)) {
      const bnConfig = bn.layer.getConfig() as Record<string, unknown>;
      if (isLastAxis(bnConfig.axis, 4)) {
        ({ scale, shift } = await batchNormAffine(bn.layer, bnConfig, cout));
        this.folded.add(bn);
        outTensor = bn.outputs[0]!;
      }
    }

    // ONNX wants [out, in, kh, kw]; TF.js stores [kh, kw, in, out].
    const w = new Float32Array(cout * cin * kh * kw);
    for (let y = 0; y < kh; y++) {
      for (let xk = 0; xk < kw; xk++) {
        for (let i = 0; i < cin; i++) {
          const src = ((y * kw + xk) * cin + i) * cout;
          for (let o = 0; o < cout; o++) w[((o * cin + i) * kh + y) * kw + xk] = scale ? kernel[src + o]! * scale[o]! : kernel[src + o]!;
        }
      }
    }
    let b: Float32Array | undefined;
    if (scale && shift) b = Float32Array.from(shift, (s, o) => (bias ? bias[o]! : 0) * scale[o]! + s);
    else if (bias) b = bias;

    // Explicit zero padding before the conv plus the conv's own 'same' padding.
    const source = x.pendingPad?.source ?? x;
    const before = x.pendingPad?.pads ?? ([0, 0, 0, 0] as Pads);
    const [, inH, inW] = node.inputs[0]!.shape as number[];
    const same = config.padding === 'same' ? samePads([inH!, inW!], [kh, kw], strides, dil) : ([0, 0, 0, 0] as Pads);
    const pads = before.map((p, i) => p + same[i]!) as Pads;

    const inputs = [source.name, this.graph.floatTensor(`${name}_W`, [cout, cin, kh, kw], w)];
    if (b) inputs.push(this.graph.floatTensor(`${name}_B`, [cout], b));
    const conv = this.graph.node('Conv', name, inputs, { kernel_shape: [kh, kw], strides, pads, dilations: dil, group: 1 });
    const result = this.activate({ name: conv, rank: 4, nonNegative: false }, String(config.activation), name);
    if (outTensor !== node.outputs[0]) this.values.set(outTensor.id, result);
    return result;
  }

  private async batchNorm(layer: tf.layers.Layer, x: Value, config: Record<string, unknown>): Promise<Value> {
    if (!isLastAxis(config.axis, x.rank === 4 ? 4 : 2)) throw new Error(`export-onnx: layer ${layer.name}: only channel (last-axis) batch norm is supported`);
    const channels = layer.getWeights().at(-1)!.shape[0]!;
    const { scale, shift } = await batchNormAffine(layer, config, channels);
    // As a per-channel affine map, y = x * scale + shift: BatchNormalization with mean 0, var 1, epsilon 0.
    const args = [
      x.name,
      this.graph.floatTensor(`${layer.name}_scale`, [channels], Float32Array.from(scale)),
      this.graph.floatTensor(`${layer.name}_shift`, [channels], Float32Array.from(shift)),
      this.graph.floatTensor(`${layer.name}_mean`, [channels], new Float32Array(channels)),
      this.graph.floatTensor(`${layer.name}_var`, [channels], new Float32Array(channels).fill(1)),
    ];
    return { name: this.graph.node('BatchNormalization', layer.name, args, { epsilon: { float: 0 } }), rank: x.rank, nonNegative: false };
  }

  private async dense(layer: tf.layers.Layer, x: Value, config: Record<string, unknown>): Promise<Value> {
    if (x.rank !== 2) throw new Error(`export-onnx: layer ${layer.name}: Dense must read a flat [batch, features] tensor`);
    const weights = layer.getWeights();
    const kernel = weights[0]!;
    const inputs = [x.name, this.graph.floatTensor(`${layer.name}_W`, kernel.shape as number[], (await kernel.data()) as Float32Array)];
    if (config.useBias) inputs.push(this.graph.floatTensor(`${layer.name}_B`, weights[1]!.shape as number[], (await weights[1]!.data()) as Float32Array));
    const gemm = this.graph.node('Gemm', layer.name, inputs);
    return this.activate({ name: gemm, rank: 2, nonNegative: false }, String(config.activation), layer.name);
  }

  private pool(className: string, x: Value, config: Record<string, unknown>, name: string, input: tf.SymbolicTensor): Value {
    this.assertChannelsLast(config, name);
    const kernel = config.poolSize as [number, number];
    const strides = (config.strides as [number, number] | null) ?? kernel;
    const [, inH, inW] = input.shape as number[];
    const same = config.padding === 'same' ? samePads([inH!, inW!], kernel, strides, [1, 1]) : ([0, 0, 0, 0] as Pads);
    let source = x;
    let pads = same;
    // A max over values >= 0 is unchanged by extra zeros, so a zero padding can become the pool's own
    // (ONNX MaxPool pads never win a max). Every window still overlaps the real image (pad < kernel).
    const pending = x.pendingPad;
    if (className === 'MaxPooling2D' && pending?.source.nonNegative && pending.pads.every((p, i) => p < kernel[i % 2]!)) {
      source = pending.source;
      pads = pending.pads.map((p, i) => p + same[i]!) as Pads;
    } else {
      source = this.materialize(x, name);
    }
    const attributes = { kernel_shape: kernel, strides, pads, ...(className === 'AveragePooling2D' ? { count_include_pad: 0 } : {}) };
    const op = className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
    return { name: this.graph.node(op, name, [source.name], attributes), rank: 4, nonNegative: source.nonNegative };
  }

  /** A layer's activation; `nodeName` names the ONNX node (default: layer name + activation). */
  private activate(x: Value, activation: string, name: string, nodeName = `${name}_${activation}`): Value {
    switch (activation) {
      case 'linear':
        return x;
      case 'relu':
        return { name: this.graph.node('Relu', nodeName, [x.name]), rank: x.rank, nonNegative: true };
      case 'sigmoid':
        return { name: this.graph.node('Sigmoid', nodeName, [x.name]), rank: x.rank, nonNegative: true };
      case 'tanh':
        return { name: this.graph.node('Tanh', nodeName, [x.name]), rank: x.rank, nonNegative: false };
      case 'softmax':
        if (x.rank !== 2) throw new Error(`export-onnx: layer ${name}: softmax is supported on [batch, features] only`);
        return { name: this.graph.node('Softmax', nodeName, [x.name], { axis: 1 }), rank: 2, nonNegative: true };
      default:
        throw new Error(`export-onnx: layer ${name}: activation "${activation}" is not supported (linear, relu, sigmoid, tanh, softmax)`);
    }
  }

  private assertChannelsLast(config: Record<string, unknown>, name: string): void {
    if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
      throw new Error(`export-onnx: layer ${name}: only channelsLast data is supported`);
    }
  }
}

/** The nodes that compute the model's output from its input, each after the nodes it reads from. */
function topologicalNodes(model: tf.LayersModel): GraphNode[] {
  const order: GraphNode[] = [];
  const seen = new Map<string, GraphNode>();
  const visit = (tensor: tf.SymbolicTensor): void => {
    const layer = tensor.sourceLayer;
    const key = `${layer.name}#${tensor.nodeIndex}`;
    if (seen.has(key)) return;
    const inbound = layer.inboundNodes[tensor.nodeIndex];
    if (!inbound) throw new Error(`export-onnx: layer ${layer.name} has no node ${tensor.nodeIndex}`);
    if (layer.getClassName() === 'Functional' || layer.getClassName() === 'Model' || layer.getClassName() === 'Sequential') {
      throw new Error(`export-onnx: nested model ${layer.name} is not supported; flatten it into one functional model`);
    }
    const node: GraphNode = { layer, inputs: inbound.inputTensors, outputs: inbound.outputTensors };
    seen.set(key, node);
    if (layer.getClassName() === 'InputLayer') return;
    // Iterative for deep networks would be safer, but ResNets are ~200 layers deep: recursion is fine.
    for (const input of inbound.inputTensors) visit(input);
    order.push(node);
  };
  for (const output of model.outputs) visit(output);
  return order;
}

/** TF's 'same' padding: output ceil(in / stride), the odd pixel of padding at the bottom/right. */
function samePads(input: [number, number], kernel: [number, number], strides: [number, number], dilations: number[]): Pads {
  const [padH, padW] = [0, 1].map((axis) => {
    const size = input[axis]!;
    const stride = strides[axis]!;
    const effective = (kernel[axis]! - 1) * dilations[axis]! + 1;
    const total = Math.max((Math.ceil(size / stride) - 1) * stride + effective - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as const;
  }) as [readonly [number, number], readonly [number, number]];
  return [padH[0], padW[0], padH[1], padW[1]];
}

/** The inference-time batch norm as y = x * scale + shift, in float64. */
async function batchNormAffine(
  layer: tf.layers.Layer,
  config: Record<string, unknown>,
  channels: number,
): Promise<{ scale: Float64Array; shift: Float64Array }> {
  const weights = layer.getWeights();
  let k = 0;
  const gamma = config.scale !== false ? ((await weights[k++]!.data()) as Float32Array) : undefined;
  const beta = config.center !== false ? ((await weights[k++]!.data()) as Float32Array) : undefined;
  const mean = (await weights[k++]!.data()) as Float32Array;
  const variance = (await weights[k++]!.data()) as Float32Array;
  const epsilon = Number(config.epsilon);
  if (mean.length !== channels) throw new Error(`export-onnx: layer ${layer.name} has ${mean.length} channels, expected ${channels}`);
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + epsilon);
    shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

function isLastAxis(axis: unknown, rank: number): boolean {
  const a = Array.isArray(axis) ? axis[0] : axis;
  return (a === -1 || a === rank - 1) && (!Array.isArray(axis) || axis.length === 1);
}

function reluLayerActivation(config: Record<string, unknown>, name: string): string {
  if (config.maxValue !== null && config.maxValue !== undefined) throw new Error(`export-onnx: layer ${name}: ReLU with maxValue is not supported`);
  return 'relu';
}
