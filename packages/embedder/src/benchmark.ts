import { buildEmbeddingModel, type InferenceEmbedder } from './embedding-model.ts';
import type { EmbedderSpec } from './model-spec.ts';
import { buildClassifierModel, createSupervisedTrainer, GRADE_CLASSES } from './supervised-model.ts';
import { createSiameseTrainer } from './train-step.ts';

export interface ThroughputResult {
  /** images per second (for training: images through forward and backward, two per pair) */
  imagesPerSecond: number;
  images: number;
  seconds: number;
}

/**
 * Inference throughput of an embedder at a batch size, after one warm-up batch (the first call
 * compiles kernels and grows the wasm heap).
 */
export async function benchmarkEmbed(embedder: InferenceEmbedder, options: { batchSize: number; batches?: number }): Promise<ThroughputResult> {
  const { batchSize } = options;
  const batches = options.batches ?? 3;
  const images = syntheticImages(batchSize, embedder.spec.inputSize);
  await embedder.embed(images, { batchSize });
  const started = performance.now();
  for (let i = 0; i < batches; i++) await embedder.embed(images, { batchSize });
  return result(batchSize * batches, started);
}

export interface TrainingBenchmarkResult extends ThroughputResult {
  /** loss of the last timed step */
  loss: number;
  trainableParameters: number;
}

/**
 * Training throughput of a freshly built network (seeded weights, synthetic inputs): Adam steps after one
 * warm-up step. Siamese: `batchSize` pairs a step, two images each through the shared tower; supervised:
 * `batchSize` images a step through the 5-way classifier. The network is disposed afterwards.
 */
export async function benchmarkTraining(
  spec: EmbedderSpec,
  options: { kind: 'siamese' | 'supervised'; batchSize: number; steps?: number },
): Promise<TrainingBenchmarkResult> {
  const steps = options.steps ?? 3;
  const { batchSize } = options;
  const model = options.kind === 'siamese' ? buildEmbeddingModel(spec) : buildClassifierModel(spec);
  const trainableParameters = model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  try {
    let step: () => Promise<number>;
    let imagesPerStep: number;
    let dispose: () => void;
    if (options.kind === 'siamese') {
      const images = syntheticImages(2 * batchSize, spec.inputSize);
      const batch = { a: images.slice(0, batchSize), b: images.slice(batchSize), same: images.slice(0, batchSize).map((_, i) => i % 2 === 0) };
      const trainer = createSiameseTrainer(model);
      step = () => trainer.step(batch);
      imagesPerStep = 2 * batchSize;
      dispose = () => trainer.dispose();
    } else {
      const images = syntheticImages(batchSize, spec.inputSize);
      const grades = images.map((_, i) => i % GRADE_CLASSES);
      const trainer = createSupervisedTrainer(model);
      step = () => trainer.step(images, grades);
      imagesPerStep = batchSize;
      dispose = () => trainer.dispose();
    }
    try {
      await step();
      const started = performance.now();
      let loss = NaN;
      for (let i = 0; i < steps; i++) loss = await step();
      return { ...result(imagesPerStep * steps, started), loss, trainableParameters };
    } finally {
      dispose();
    }
  } finally {
    model.dispose();
  }
}

function result(images: number, started: number): ThroughputResult {
  const seconds = (performance.now() - started) / 1000;
  return { imagesPerSecond: images / seconds, images, seconds };
}

function syntheticImages(count: number, size: number): Float32Array[] {
  return Array.from({ length: count }, (_, k) => Float32Array.from({ length: size * size * 3 }, (_, i) => Math.sin(i * 0.011 + k)));
}
