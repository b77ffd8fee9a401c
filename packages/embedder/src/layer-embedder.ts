import * as tf from '@tensorflow/tfjs';
import { embedderForOutput, type Embedder } from './embedding-model.ts';

/**
 * The layers a distinct representation can be read from, in graph order: every layer but the input,
 * dropout (which only copies its input at inference) and a feature map that only feeds a global average
 * pool (pooled, it would equal that pool). Negative positions count from the output: -1 is the model's own
 * output (the embedding; the supervised baseline's softmax), -2 the layer before it (the baseline's dense
 * layer), -3 the one before that (its avg_pool) -- the paper's "second-to-last" and "third-to-last" layers.
 */
export function representationLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => {
    const type = layer.getClassName();
    if (type === 'InputLayer' || type === 'Dropout') return false;
    const consumers = layer.outboundNodes.map((node) => node.outboundLayer.getClassName());
    return !(consumers.length > 0 && consumers.every((consumer) => consumer === 'GlobalAveragePooling2D'));
  });
}

/** Names for the paper's Table 1 columns. */
const LAYER_ALIASES: Record<string, number> = { output: -1, last: -1, softmax: -1, 'second-last': -2, 'third-last': -3 };

/**
 * Finds a layer by exact name, by negative position (-1, -2, ...) or by alias (output, last, softmax,
 * second-last, third-last). Throws a message that lists the choices.
 */
export function resolveLayer(model: tf.LayersModel, spec: string): tf.layers.Layer {
  const layers = representationLayers(model);
  const position = LAYER_ALIASES[spec] ?? (/^-\d+$/.test(spec) ? Number(spec) : null);
  if (position !== null) {
    const layer = layers[layers.length + position];
    if (!layer) throw new RangeError(`the model has ${layers.length} representation layers; ${spec} is out of range`);
    return layer;
  }
  const byName = model.layers.find((layer) => layer.name === spec);
  if (!byName) {
    const tail = layers
      .slice(-6)
      .map((layer, i, all) => `${i - all.length} ${layer.name}`)
      .join(', ');
    throw new RangeError(`no layer "${spec}" (last layers: ${tail}; or use output, second-last, third-last)`);
  }
  return byName;
}

/** Width of the vector read from a layer: channels for a conv feature map (after pooling), units otherwise. */
export function layerWidth(layer: tf.layers.Layer): number {
  const shape = layer.outputShape as (number | null)[];
  const width = shape[shape.length - 1];
  if (typeof width !== 'number') throw new Error(`layer ${layer.name} has no fixed width`);
  return width;
}

/**
 * An embedder that reads `layer` of `base` instead of its output: a truncated graph sharing base's weights,
 * with conv feature maps ([h, w, c]) global-average-pooled to c values. Disposing it disposes base.
 */
export function layerEmbedder(base: Embedder, layer: tf.layers.Layer): Embedder {
  const output = layer.output as tf.SymbolicTensor;
  const rank = output.shape.length;
  if (rank !== 2 && rank !== 4) throw new Error(`layer ${layer.name} outputs rank ${rank}; expected a vector or a conv feature map`);
  const pooled = rank === 4 ? (tf.layers.globalAveragePooling2d({ name: `eval_pool_${layer.name}` }).apply(output) as tf.SymbolicTensor) : output;
  return embedderForOutput(base, pooled, `eval_${layer.name}`);
}
