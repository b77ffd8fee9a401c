/** Backbone families. resnet50 is the paper's network (bottleneck blocks 3-4-6-3); resnet-tiny is a
 * few small basic blocks, for fast tests and CPU training. */
export type Architecture = 'resnet50' | 'resnet34' | 'resnet18' | 'resnet-tiny';

export const ARCHITECTURES: readonly Architecture[] = ['resnet50', 'resnet34', 'resnet18', 'resnet-tiny'];

/**
 * How the network reads its input. 'unit': the preprocessed image as it is (HWC RGB in [-1, 1]). 'caffe':
 * a fixed first layer turns that into the convention Keras' ImageNet ResNet-50 weights were trained with
 * (BGR, 0-255 minus the ImageNet channel means), so an `--init` network sees the values its filters expect.
 */
export type InputConvention = 'unit' | 'caffe';

/** Everything needed to rebuild an embedding model's graph and initial weights. */
export interface EmbedderSpec {
  architecture: Architecture;
  /** square input side in pixels */
  inputSize: number;
  /** length of the embedding vector */
  embeddingDim: number;
  /** seeds every initialiser, so the same spec always starts from the same weights */
  seed: number;
  /** dropout rate between the pooled features and the projection head (training only) */
  dropout: number;
  inputConvention: InputConvention;
}

/** The paper: ResNet-50 at 224 px, 25% dropout. */
export const DEFAULT_EMBEDDER_SPEC: EmbedderSpec = Object.freeze({
  architecture: 'resnet50',
  inputSize: 224,
  embeddingDim: 128,
  seed: 42,
  dropout: 0.25,
  inputConvention: 'unit',
});

/** Fills defaults and rejects values that would only fail later, deep inside TF.js. */
export function resolveEmbedderSpec(partial: Partial<EmbedderSpec> = {}): EmbedderSpec {
  const spec: EmbedderSpec = { ...DEFAULT_EMBEDDER_SPEC, ...withoutUndefined(partial) };
  if (!ARCHITECTURES.includes(spec.architecture)) {
    throw new Error(`Unknown architecture "${String(spec.architecture)}"; expected one of ${ARCHITECTURES.join(', ')}`);
  }
  // The stem and the stages halve the input five times for the full ResNets; below 32 px the
  // final feature map would vanish.
  if (!Number.isInteger(spec.inputSize) || spec.inputSize < 16 || spec.inputSize > 1024) {
    throw new Error(`inputSize must be an integer in [16, 1024], got ${spec.inputSize}`);
  }
  if (spec.architecture !== 'resnet-tiny' && spec.inputSize < 32) {
    throw new Error(`inputSize must be at least 32 for ${spec.architecture}, got ${spec.inputSize}`);
  }
  if (!Number.isInteger(spec.embeddingDim) || spec.embeddingDim < 1 || spec.embeddingDim > 4096) {
    throw new Error(`embeddingDim must be an integer in [1, 4096], got ${spec.embeddingDim}`);
  }
  if (!Number.isSafeInteger(spec.seed)) {
    throw new Error(`seed must be an integer, got ${spec.seed}`);
  }
  if (!(spec.dropout >= 0 && spec.dropout < 1)) {
    throw new Error(`dropout must be in [0, 1), got ${spec.dropout}`);
  }
  if (spec.inputConvention !== 'unit' && spec.inputConvention !== 'caffe') {
    throw new Error(`inputConvention must be unit or caffe, got "${String(spec.inputConvention)}"`);
  }
  return spec;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
