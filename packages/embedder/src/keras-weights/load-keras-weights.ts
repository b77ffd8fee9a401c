import * as tf from '@tensorflow/tfjs';
import { openKerasWeightsFile, writeKerasWeightsFile, type KerasLayerInfo } from './keras-weights-file.ts';
import { hasLegacyResNet50Names, modernResNet50Name } from './legacy-resnet50-names.ts';

export interface LoadKerasWeightsOptions {
  /** Throw unless the model and the file have weights for exactly the same layers (default: load the common ones, report the rest). */
  strict?: boolean;
}

export interface LoadKerasWeightsResult {
  /** model layers whose weights came from the file */
  loaded: string[];
  /** model layers with weights that the file lacks (kept as they were, e.g. our projection head) */
  missing: string[];
  /** layers in the file that the model lacks (ignored, e.g. the ImageNet classifier of a with-top file) */
  unexpected: string[];
}

/**
 * Loads Keras HDF5 weights (such as resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5) into `model`
 * by layer name, as Keras' load_weights(by_name=True) does: each layer's weights in Keras' order, whose
 * kernels are HWIO like TF.js'. Files with the legacy ResNet50 names (bn_conv1, res2a_branch2a, ...)
 * are renamed to resnet.ts's names first. Every shape is checked before any weight is set, so on an
 * error the model is left as it was. Layers without weights (pooling, activations) play no part.
 * Throws when no layer matches at all, which is never a useful initialisation.
 */
export async function loadKerasWeights(model: tf.LayersModel, file: string, options: LoadKerasWeightsOptions = {}): Promise<LoadKerasWeightsResult> {
  const reader = await openKerasWeightsFile(file);
  try {
    const legacy = hasLegacyResNet50Names(reader.layers.map((l) => l.name));
    const fileLayers = new Map(reader.layers.map((l) => [legacy ? modernResNet50Name(l.name) : l.name, l]));
    const modelLayers = weightedLayers(model);
    const loaded = [...modelLayers.keys()].filter((name) => fileLayers.has(name));
    const missing = [...modelLayers.keys()].filter((name) => !fileLayers.has(name));
    const unexpected = [...fileLayers.keys()].filter((name) => !modelLayers.has(name));

    if (loaded.length === 0) {
      throw new Error(
        `${file} has weights for none of the layers of model ${model.name} ` + `(file: ${preview([...fileLayers.keys()])}; model: ${preview(missing)})`,
      );
    }
    if (options.strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new Error(
        `${file} does not match model ${model.name} layer for layer: ` +
          `${missing.length} model layers not in the file (${preview(missing)}), ` +
          `${unexpected.length} file layers not in the model (${preview(unexpected)})`,
      );
    }

    const plans = loaded.map((name) => planLayer(modelLayers.get(name)!, fileLayers.get(name)!, file));
    for (const { layer, source, order } of plans) {
      const values = reader.read(source.name);
      tf.tidy(() => layer.setWeights(order.map((i) => tf.tensor(values[i]!, source.weights[i]!.shape, 'float32'))));
    }
    return { loaded, missing, unexpected };
  } finally {
    reader.close();
  }
}

/**
 * Writes the model's weights as Keras 2 save_weights('*.h5') would (every layer listed, weights as
 * 'layer/kernel:0', ...), so loadKerasWeights -- or Keras -- can read them back by layer name.
 * Layers of nested models are written as top-level layers.
 */
export async function saveKerasWeights(model: tf.LayersModel, file: string): Promise<void> {
  const layers = flatLayers(model).map((layer) => ({
    name: layer.name,
    weights: layer.weights.map((w) => ({
      name: `${layer.name}/${baseName(w.originalName)}:0`,
      shape: w.shape as number[],
      // read() is the variable itself, not a copy: not to be disposed
      values: w.read().dataSync() as Float32Array,
    })),
  }));
  await writeKerasWeightsFile(file, layers);
}

interface LayerPlan {
  layer: tf.layers.Layer;
  source: KerasLayerInfo;
  /** order[i]: the file weight that goes to the layer's weight i */
  order: number[];
}

/**
 * Keras assigns a layer's stored weights by position. Where the names say otherwise (the file lists
 * exactly the layer's weight names, in another order), trust the names.
 */
function planLayer(layer: tf.layers.Layer, source: KerasLayerInfo, file: string): LayerPlan {
  const targets = layer.weights;
  const targetNames = targets.map((w) => baseName(w.originalName));
  const sourceNames = source.weights.map((w) => baseName(w.name));
  const byName = sourceNames.length === targetNames.length && targetNames.every((n) => sourceNames.includes(n));
  const order = targets.map((_, i) => (byName ? sourceNames.indexOf(targetNames[i]!) : i));

  const fits = source.weights.length === targets.length && order.every((j, i) => sameShape(source.weights[j]!.shape, targets[i]!.shape));
  if (!fits) {
    const describe = (names: string[], shapes: readonly (readonly (number | null)[])[]) =>
      names.map((n, i) => `${n} [${shapes[i]!.join(', ')}]`).join(', ') || 'no weights';
    throw new Error(
      `Shape mismatch in layer ${layer.name}: ${file} has ${describe(
        sourceNames,
        source.weights.map((w) => w.shape),
      )}; ` +
        `the model has ${describe(
          targetNames,
          targets.map((w) => w.shape),
        )}`,
    );
  }
  return { layer, source, order };
}

function sameShape(a: readonly number[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** 'conv1_bn/moving_mean:0' -> 'moving_mean' */
function baseName(weightName: string): string {
  return weightName.slice(weightName.lastIndexOf('/') + 1).replace(/:\d+$/, '');
}

/** The model's layers with nested models opened up, as Keras' by-name loading sees them. */
function flatLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) => (layer instanceof tf.LayersModel ? flatLayers(layer) : [layer]));
}

function weightedLayers(model: tf.LayersModel): Map<string, tf.layers.Layer> {
  const layers = new Map<string, tf.layers.Layer>();
  for (const layer of flatLayers(model)) {
    // fixed layers (the caffe input conversion) hold no ImageNet weights
    if (layer.weights.length === 0 || !layer.trainable) continue;
    if (layers.has(layer.name)) throw new Error(`model ${model.name} has two layers named ${layer.name}; weights cannot be matched by name`);
    layers.set(layer.name, layer);
  }
  return layers;
}

function preview(names: string[], max = 6): string {
  if (names.length === 0) return 'none';
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (${names.length} in all)`;
}
