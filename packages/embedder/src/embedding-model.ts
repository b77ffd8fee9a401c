import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from './backend.ts';
import { assertBatchSize, embedInBatches } from './embed-inputs.ts';
import { loadModelDir, saveModelDir } from './model-files.ts';
import { resolveEmbedderSpec, type EmbedderSpec } from './model-spec.ts';
import { buildResNet } from './resnet.ts';
import { SeededInitializers } from './seeded-initializers.ts';
import { GRADE_CLASSES, SUPERVISED_LAYERS } from './supervised-model.ts';

/** What serving needs from an embedder, whichever engine computes it (TF.js or ONNX Runtime). */
export interface InferenceEmbedder {
  readonly spec: EmbedderSpec;
  /** what computes the embeddings: the TF.js backend ('wasm', 'tensorflow', ...) or 'onnxruntime-cpu' / 'onnxruntime-cuda' */
  readonly engine: string;
  /**
   * images: preprocessed HWC RGB Float32Arrays of inputSize*inputSize*3 (values in [-1, 1]).
   * Returns one embedding (length embeddingDim) per image, in inference mode (no dropout).
   */
  embed(images: Float32Array[], options?: EmbedOptions): Promise<Float32Array[]>;
  dispose(): void;
}

/** A TF.js embedder: inference, plus the model that training updates and save() writes. */
export interface Embedder extends InferenceEmbedder {
  readonly backend: BackendName;
  /** The underlying TF.js model (image -> embedding); training updates it in place. */
  readonly model: tf.LayersModel;
  /**
   * The whole saved network, for reading other layers (cbmir eval --layers). The same as `model`, except
   * for the supervised baseline: its network ends in the 5-way softmax and `model` stops at the layer
   * before it (spec.embeddingDim wide), which is what it embeds and serves.
   */
  readonly network: tf.LayersModel;
  /** Writes model.json, weights.bin and metadata.json (spec + `info`) to `dir`; see loadEmbedder. */
  save(dir: string, info?: Record<string, unknown>): Promise<void>;
}

export interface EmbedOptions {
  /** images per forward pass; default 16 */
  batchSize?: number;
}

export const DEFAULT_EMBED_BATCH_SIZE = 16;

/**
 * Backbone + dropout + dense projection to spec.embeddingDim. Every initialiser is seeded from
 * spec.seed, so an untrained model gives the same embeddings on every start without saved weights.
 */
export function buildEmbeddingModel(spec: EmbedderSpec): tf.LayersModel {
  const backbone = buildResNet(spec);
  const init = new SeededInitializers(spec.seed);
  const features = backbone.outputs[0] as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ rate: spec.dropout, name: 'embedding_dropout' }).apply(features);
  const embedding = tf.layers
    .dense({ units: spec.embeddingDim, name: 'embedding', kernelInitializer: init.glorotUniform('embedding') })
    .apply(dropped) as tf.SymbolicTensor;
  return tf.model({ inputs: backbone.inputs, outputs: embedding, name: 'embedder' });
}

/** A fresh (untrained, seeded) embedder. Initialises the TF.js backend if nobody has yet. */
export async function createEmbedder(spec?: Partial<EmbedderSpec>, options?: EmbedOptions): Promise<Embedder> {
  const resolved = resolveEmbedderSpec(spec);
  const { name } = await initBackend();
  return new LayersEmbedder(buildEmbeddingModel(resolved), resolved, name, options?.batchSize);
}

/**
 * Restores an embedder written by Embedder.save, or a supervised baseline written by `cbmir train --model
 * supervised` (its second-to-last layer becomes the embedding, as the paper's best CNN layer).
 */
export async function loadEmbedder(dir: string, options?: EmbedOptions): Promise<Embedder> {
  const { name } = await initBackend();
  const { model: network, metadata } = await loadModelDir(dir);
  const { spec } = metadata;
  const [, height, width, channels] = network.inputs[0]?.shape ?? [];
  const model = embeddingPart(network, spec.embeddingDim);
  if (height !== spec.inputSize || width !== spec.inputSize || channels !== 3 || !model) {
    network.dispose();
    throw new Error(
      `Model in ${dir} takes [${height}, ${width}, ${channels}] -> ${network.outputs[0]?.shape[1]}, ` +
        `but its metadata says ${spec.inputSize} px -> ${spec.embeddingDim}`,
    );
  }
  return new LayersEmbedder(model, spec, name, options?.batchSize, network);
}

/**
 * What embeds with a network: the network itself when its output is the embedding, the layer before the
 * softmax when it is the supervised baseline; null when neither gives embeddingDim values.
 */
export function embeddingPart(network: tf.LayersModel, embeddingDim: number): tf.LayersModel | null {
  const outputWidth = network.outputs[0]?.shape[1];
  if (outputWidth === embeddingDim && network.outputs[0]?.shape.length === 2) return network;
  const isClassifier = outputWidth === GRADE_CLASSES && network.layers.at(-1)?.name === SUPERVISED_LAYERS.softmax;
  const hidden = isClassifier ? network.layers.find((layer) => layer.name === SUPERVISED_LAYERS.penultimate) : undefined;
  const hiddenOutput = hidden?.output as tf.SymbolicTensor | undefined;
  if (!hiddenOutput || hiddenOutput.shape[1] !== embeddingDim) return null;
  return tf.model({ inputs: network.inputs, outputs: hiddenOutput, name: 'baseline_embedding' });
}

/**
 * An embedder that reads `output` (a tensor of base.network, e.g. an inner layer, pooled) instead of base's
 * embedding: a truncated graph sharing base's weights. Disposing it disposes base.
 */
export function embedderForOutput(base: Embedder, output: tf.SymbolicTensor, name: string): Embedder {
  const width = output.shape[1];
  if (output.shape.length !== 2 || typeof width !== 'number') throw new Error(`${name}: expected a [batch, width] output, got [${output.shape.join(', ')}]`);
  const model = tf.model({ inputs: base.network.inputs, outputs: output, name });
  const view = new LayersEmbedder(model, { ...base.spec, embeddingDim: width }, base.backend, DEFAULT_EMBED_BATCH_SIZE, base.network, () => base.dispose());
  return Object.assign(view, {
    save: async () => {
      throw new Error('a view of one layer is not saved; save the model itself');
    },
  });
}

/** Runs a TF.js model (image -> vector) over preprocessed images in batches, in inference mode. */
export function embedWithModel(model: tf.LayersModel, images: Float32Array[], batchSize: number): Promise<Float32Array[]> {
  const [, inputSize] = model.inputs[0]?.shape ?? [];
  const embeddingDim = model.outputs[0]?.shape[1];
  if (typeof inputSize !== 'number' || typeof embeddingDim !== 'number')
    throw new Error(`model ${model.name} must take [size, size, 3] images to [batch, width] vectors`);
  return embedInBatches(images, { inputSize, embeddingDim }, batchSize, async (data, count) => {
    const output = tf.tidy(() => model.predict(tf.tensor4d(data, [count, inputSize, inputSize, 3]), { batchSize: count }) as tf.Tensor);
    try {
      return (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
  });
}

class LayersEmbedder implements Embedder {
  private disposed = false;

  get engine(): string {
    return this.backend;
  }

  constructor(
    readonly model: tf.LayersModel,
    readonly spec: EmbedderSpec,
    readonly backend: BackendName,
    private readonly defaultBatchSize = DEFAULT_EMBED_BATCH_SIZE,
    readonly network: tf.LayersModel = model,
    /** frees the weights: the network owns every layer, a truncated `model` shares them */
    private readonly release: () => void = () => network.dispose(),
  ) {
    assertBatchSize(defaultBatchSize);
  }

  async embed(images: Float32Array[], options?: EmbedOptions): Promise<Float32Array[]> {
    this.assertUsable();
    return embedWithModel(this.model, images, options?.batchSize ?? this.defaultBatchSize);
  }

  async save(dir: string, info?: Record<string, unknown>): Promise<void> {
    this.assertUsable();
    await saveModelDir(dir, this.network, this.spec, info);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.release();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('This embedder has been disposed');
  }
}
