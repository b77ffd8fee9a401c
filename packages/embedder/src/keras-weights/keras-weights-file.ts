import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset, File, Group, OutputData } from 'h5wasm/node';

/**
 * The HDF5 layout that Keras 2 (and tf.keras up to 2.15) writes with Model.save_weights('*.h5'),
 * the layout of the keras.applications weight files:
 *
 *   /                 attrs layer_names (every layer, in model order), backend, keras_version
 *   /conv1_conv       attr weight_names = ['conv1_conv/kernel:0', 'conv1_conv/bias:0']
 *   /conv1_conv/conv1_conv/kernel:0    dataset (a weight name's '/' makes a subgroup)
 *
 * Layers without weights have an empty weight_names. A whole-model file (Model.save) keeps the same
 * tree under /model_weights.
 */

export interface KerasWeightInfo {
  /** as listed in weight_names, e.g. 'conv1_bn/moving_mean:0' */
  name: string;
  shape: number[];
}

export interface KerasLayerInfo {
  name: string;
  /** in Keras' order: the order Keras' own loader assigns them to the layer's weights */
  weights: KerasWeightInfo[];
}

export interface KerasWeightsReader {
  readonly file: string;
  /** the root keras_version attribute, when there is one */
  readonly kerasVersion: string | null;
  /** the layers that have weights, in file order */
  readonly layers: readonly KerasLayerInfo[];
  /** The values of one layer's weights, in the order of its `weights`. */
  read(layer: string): Float32Array[];
  close(): void;
}

export interface KerasWeightValues {
  /** e.g. 'conv1_conv/kernel:0'; each '/' makes a subgroup, as h5py does */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface KerasLayerValues {
  name: string;
  /** empty for layers without weights (Keras lists those too) */
  weights: KerasWeightValues[];
}

type H5wasm = typeof import('h5wasm/node');

// The wasm module is compiled once per process; this only caches that import.
let h5wasmModule: Promise<H5wasm> | undefined;

function loadH5wasm(): Promise<H5wasm> {
  h5wasmModule ??= import('h5wasm/node').then(async (h5) => {
    const module = await h5.ready;
    // Turn HDF5 errors into exceptions instead of diagnostics printed to stderr and ignored.
    module.activate_throwing_error_handler();
    return h5;
  });
  return h5wasmModule;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** h5wasm reports a non-HDF5 file only as a page of HDF5 diagnostics; check the signature first. */
async function assertHdf5(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new Error(`Cannot read the Keras weights file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(HDF5_SIGNATURE.length);
    // The superblock is at 0, or after a user block of 512, 1024, 2048, ... bytes.
    for (let offset = 0; offset + head.length <= size; offset = offset === 0 ? 512 : offset * 2) {
      await handle.read(head, 0, head.length, offset);
      if (head.equals(HDF5_SIGNATURE)) return;
    }
  } finally {
    await handle.close();
  }
  throw new Error(`${file} is not an HDF5 file; expected Keras .h5 weights such as resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5`);
}

/** The first lines of h5wasm's HDF5 error stack are the ones that say what went wrong. */
function hdf5Message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const minor = [...text.matchAll(/minor: (.*)/g)].map((m) => m[1]?.trim());
  return minor.length ? minor[minor.length - 1]! : text.split('\n')[0]!;
}

/** A string-list attribute; Keras splits long ones into name0, name1, ... (HDF5 caps attributes at 64 KiB). */
function stringListAttr(node: Group, name: string): string[] | null {
  const attrs = node.attrs;
  if (attrs[name]) return toStrings(attrs[name].value, name);
  if (!attrs[`${name}0`]) return null;
  const parts: string[] = [];
  for (let i = 0; attrs[`${name}${i}`]; i++) parts.push(...toStrings(attrs[`${name}${i}`]!.value, name));
  return parts;
}

function toStrings(value: OutputData | null, name: string): string[] {
  if (value === null) return [];
  // h5py pads fixed-length strings with NULs
  const clean = (s: string) => s.replace(/\0+$/, '');
  if (typeof value === 'string') return [clean(value)];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map(clean);
  // Keras writes an empty float array as the weight_names of a layer without weights.
  if (ArrayBuffer.isView(value) && (value as ArrayLike<unknown>).length === 0) return [];
  throw new Error(`attribute ${name} is not a list of strings`);
}

/**
 * Opens a Keras HDF5 weights file and lists its layers and weight shapes; values are read per layer
 * (ResNet-50's are 94 MB). Rejects with a clear Error when the file is missing, is not HDF5, or is not
 * in Keras' layout. Close the reader when done.
 */
export async function openKerasWeightsFile(file: string): Promise<KerasWeightsReader> {
  const h5 = await loadH5wasm();
  await assertHdf5(file);
  let f: File;
  try {
    f = new h5.File(path.resolve(file), 'r');
  } catch (error) {
    throw new Error(`Cannot open ${file} as HDF5: ${hdf5Message(error)}`, { cause: error });
  }
  try {
    const modelWeights = f.get('model_weights');
    const root = stringListAttr(f, 'layer_names') ? f : modelWeights instanceof h5.Group ? modelWeights : null;
    const layerNames = root ? stringListAttr(root, 'layer_names') : null;
    if (!root || !layerNames) {
      throw new Error(
        `${file} is HDF5 but not Keras weights: it has no layer_names attribute (at / or /model_weights). ` +
          `Expected the layout of Keras 2 save_weights('*.h5'), as in the keras.applications weight files; ` +
          `Keras 3 '.weights.h5' files are laid out differently.`,
      );
    }

    const datasetOf = (layer: string, group: Group, weight: string): Dataset => {
      // Normally nested by the weight name's own '/' (conv1_conv/conv1_conv/kernel:0); some writers
      // store the bare name (conv1_conv/kernel:0).
      const found = group.get(weight) ?? group.get(weight.slice(weight.lastIndexOf('/') + 1));
      if (!(found instanceof h5.Dataset)) {
        throw new Error(`${file}: weight ${weight} of layer ${layer} is listed in its weight_names but not stored under /${layer}`);
      }
      return found;
    };
    const groups = new Map<string, Group>();
    const layers: KerasLayerInfo[] = [];
    for (const name of layerNames) {
      const group = root.get(name);
      if (!(group instanceof h5.Group)) throw new Error(`${file}: layer ${name} is listed in layer_names but has no group`);
      const weightNames = stringListAttr(group, 'weight_names') ?? [];
      if (weightNames.length === 0) continue;
      groups.set(name, group);
      layers.push({
        name,
        weights: weightNames.map((weight) => ({ name: weight, shape: datasetOf(name, group, weight).shape ?? [] })),
      });
    }
    const version = f.attrs.keras_version?.value;

    return {
      file,
      kerasVersion: typeof version === 'string' ? version : null,
      layers,
      read(layer) {
        const info = layers.find((l) => l.name === layer);
        const group = groups.get(layer);
        if (!info || !group) throw new Error(`${file} has no weights for a layer named ${layer}`);
        return info.weights.map(({ name }) => {
          const value = datasetOf(layer, group, name).value;
          if (value instanceof Float32Array) return value;
          if (value instanceof Float64Array) return Float32Array.from(value);
          const type = value === null ? 'null' : ArrayBuffer.isView(value) ? value.constructor.name : typeof value;
          throw new Error(`${file}: weight ${name} of layer ${layer} holds ${type}, not float32 or float64 values`);
        });
      },
      close() {
        f.close();
      },
    };
  } catch (error) {
    f.close();
    throw error;
  }
}

/**
 * Writes weights in the layout described at the top of this file (Keras 2 save_weights), so that Keras
 * and openKerasWeightsFile read them by layer name. Written to a temporary sibling and renamed.
 */
export async function writeKerasWeightsFile(file: string, layers: readonly KerasLayerValues[]): Promise<void> {
  const h5 = await loadH5wasm();
  const partial = path.resolve(`${file}.partial`);
  const f = new h5.File(partial, 'w');
  try {
    f.create_attribute('layer_names', ...fixedStrings(layers.map((l) => l.name)));
    f.create_attribute('backend', 'tensorflow');
    f.create_attribute('keras_version', '2.15.0');
    for (const layer of layers) {
      const group = f.create_group(layer.name);
      if (layer.weights.length === 0) {
        group.create_attribute('weight_names', new Float64Array(0), [0]);
        continue;
      }
      group.create_attribute('weight_names', ...fixedStrings(layer.weights.map((w) => w.name)));
      for (const weight of layer.weights) {
        const size = weight.shape.reduce((a, b) => a * b, 1);
        if (weight.values.length !== size) {
          throw new Error(`weight ${weight.name}: ${weight.values.length} values for shape [${weight.shape.join(', ')}]`);
        }
        // h5wasm does not create intermediate groups the way h5py does.
        const parts = weight.name.split('/');
        let parent: Group = group;
        for (const part of parts.slice(0, -1)) {
          const existing = parent.get(part);
          parent = existing instanceof h5.Group ? existing : parent.create_group(part);
        }
        parent.create_dataset({ name: parts[parts.length - 1]!, data: weight.values, shape: weight.shape, dtype: '<f4' });
      }
    }
  } catch (error) {
    f.close();
    await rm(partial, { force: true });
    throw error;
  }
  f.close();
  await rename(partial, file);
}

/** h5py stores Keras' name lists as fixed-length byte strings (numpy 'S'); do the same. */
function fixedStrings(values: string[]): [string[], number[], string] {
  const longest = Math.max(1, ...values.map((v) => Buffer.byteLength(v)));
  return [values, [values.length], `S${longest}`];
}
