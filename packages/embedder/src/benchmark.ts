import type { Embedder, InferenceEmbedder } from './embedding-model.ts';
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
export async function benchmarkEmbed(
  embedder: InferenceEmbedder,
  options: { batchSize: number; batches?: number },
): Promise<ThroughputResult> {
  const { batchSize } = options;
  const batches = options.batches ?? 3;
  const images = syntheticImages(batchSize, embedder.spec.inputSize);
  await embedder.embed(images, { batchSize });
  const started = performance.now();
  for (let i = 0; i < batches; i++) await embedder.embed(images, { batchSize });
  return result(batchSize * batches, started);
}

/** Training throughput: Adam steps on `pairs` random pairs per step, after one warm-up step. */
export async function benchmarkTraining(
  embedder: Embedder,
  options: { pairs: number; steps?: number },
): Promise<ThroughputResult & { loss: number }> {
  const steps = options.steps ?? 3;
  const images = syntheticImages(2 * options.pairs, embedder.spec.inputSize);
  const batch = {
    a: images.slice(0, options.pairs),
    b: images.slice(options.pairs),
    same: images.slice(0, options.pairs).map((_, i) => i % 2 === 0),
  };
  // The benchmark must not change the caller's model: work on a copy of its weights.
  const saved = embedder.model.getWeights().map((w) => w.clone());
  const trainer = createSiameseTrainer(embedder.model);
  try {
    await trainer.step(batch);
    const started = performance.now();
    let loss = NaN;
    for (let i = 0; i < steps; i++) loss = await trainer.step(batch);
    return { ...result(2 * options.pairs * steps, started), loss };
  } finally {
    trainer.dispose();
    embedder.model.setWeights(saved);
    saved.forEach((w) => w.dispose());
  }
}

function result(images: number, started: number): ThroughputResult {
  const seconds = (performance.now() - started) / 1000;
  return { imagesPerSecond: images / seconds, images, seconds };
}

function syntheticImages(count: number, size: number): Float32Array[] {
  return Array.from({ length: count }, (_, k) =>
    Float32Array.from({ length: size * size * 3 }, (_, i) => Math.sin(i * 0.011 + k)),
  );
}
