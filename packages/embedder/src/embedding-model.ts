import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from './backend.ts';
import { assertBatchSize, assertEmbedInputs } from './embed-inputs.ts';
import { loadModelDir, saveModelDir } from './model-files.ts';
import { resolveEmbedderSpec, type EmbedderSpec } from './model-spec.ts';
import { buildResNet } from './resnet.ts';
import { SeededInitializers } from './seeded-initializers.ts';

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

/** Restores an embedder written by Embedder.save. */
export async function loadEmbedder(dir: string, options?: EmbedOptions): Promise<Embedder> {
  const { name } = await initBackend();
  const { model, metadata } = await loadModelDir(dir);
  const { spec } = metadata;
  const [, height, width, channels] = model.inputs[0]?.shape ?? [];
  const outDim = model.outputs[0]?.shape[1];
  if (height !== spec.inputSize || width !== spec.inputSize || channels !== 3 || outDim !== spec.embeddingDim) {
    model.dispose();
    throw new Error(
      `Model in ${dir} takes [${height}, ${width}, ${channels}] -> ${outDim}, ` +
        `but its metadata says ${spec.inputSize} px -> ${spec.embeddingDim}`,
    );
  }
  return new LayersEmbedder(model, spec, name, options?.batchSize);
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
  ) {
    assertBatchSize(defaultBatchSize);
  }

  async embed(images: Float32Array[], options?: EmbedOptions): Promise<Float32Array[]> {
    this.assertUsable();
    const batchSize = options?.batchSize ?? this.defaultBatchSize;
    assertBatchSize(batchSize);
    const { inputSize, embeddingDim } = this.spec;
    const pixels = assertEmbedInputs(images, inputSize);

    const embeddings: Float32Array[] = [];
    for (let start = 0; start < images.length; start += batchSize) {
      const batch = images.slice(start, start + batchSize);
      const input = new Float32Array(batch.length * pixels);
      batch.forEach((image, j) => input.set(image, j * pixels));
      const output = tf.tidy(
        () => this.model.predict(tf.tensor4d(input, [batch.length, inputSize, inputSize, 3]), { batchSize }) as tf.Tensor,
      );
      try {
        const values = (await output.data()) as Float32Array;
        for (let j = 0; j < batch.length; j++) embeddings.push(values.slice(j * embeddingDim, (j + 1) * embeddingDim));
      } finally {
        output.dispose();
      }
    }
    return embeddings;
  }

  async save(dir: string, info?: Record<string, unknown>): Promise<void> {
    this.assertUsable();
    await saveModelDir(dir, this.model, this.spec, info);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('This embedder has been disposed');
  }
}
