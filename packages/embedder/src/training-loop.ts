import type * as tf from '@tensorflow/tfjs';
import { createPairSampler, type Pair, type PairItem } from './pair-sampler.ts';
import { createSiameseTrainer, type PairBatch } from './train-step.ts';

export interface TrainSiameseOptions {
  /** the embedding model to train in place (Embedder.model) */
  model: tf.LayersModel;
  /** the training images: id, grade, patient */
  items: readonly PairItem[];
  /**
   * The preprocessed image for an id (HWC RGB at the model's input size, values in [-1, 1]).
   * Called once per pair side, so augmentation belongs here; cache decoding here too if wanted.
   */
  loadImage(id: string): Float32Array | Promise<Float32Array>;
  /** number of optimiser steps */
  steps: number;
  /** pairs per step; default 16 */
  batchSize?: number;
  /** share of same-grade pairs; default 0.5 */
  positiveFraction?: number;
  /** seeds the pair sampler; default 1 */
  seed?: number;
  learningRate?: number;
  margin?: number;
  /** called after every step; may be async (e.g. to write a checkpoint) */
  onStep?(progress: TrainingProgress): void | Promise<void>;
  /** stops after the current step */
  signal?: AbortSignal;
}

export interface TrainingProgress {
  step: number;
  steps: number;
  loss: number;
  /** training throughput so far: images (two per pair) through forward and backward per second */
  imagesPerSecond: number;
  elapsedMs: number;
}

export interface TrainingResult {
  /** loss of every step taken */
  losses: number[];
  stepsTaken: number;
  stopped: boolean;
  imagesPerSecond: number;
  elapsedMs: number;
}

/**
 * Siamese training: sample pairs, load their images (the next batch is loaded while the current
 * one trains), take an Adam step on the contrastive loss, report. The model is updated in place.
 */
export async function trainSiamese(options: TrainSiameseOptions): Promise<TrainingResult> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(options.steps) || options.steps < 0) throw new Error(`steps must be a non-negative integer, got ${options.steps}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);

  const sampler = createPairSampler(options.items, { seed: options.seed ?? 1, positiveFraction: options.positiveFraction });
  const trainer = createSiameseTrainer(options.model, { learningRate: options.learningRate, margin: options.margin });
  const load = async (pairs: Pair[]): Promise<PairBatch> => {
    const images = new Map<string, Promise<Float32Array>>();
    const image = (id: string) => {
      if (!images.has(id)) images.set(id, Promise.resolve(options.loadImage(id)));
      return images.get(id)!;
    };
    const [a, b] = await Promise.all([Promise.all(pairs.map((p) => image(p.a))), Promise.all(pairs.map((p) => image(p.b)))]);
    return { a, b, same: pairs.map((p) => p.same) };
  };

  const losses: number[] = [];
  const started = performance.now();
  let stopped = false;
  let next = options.steps > 0 ? load(sampler.batch(batchSize)) : undefined;
  // A rejected prefetch that is never awaited (stop, or an error in the step) must not go unhandled.
  next?.catch(() => undefined);
  try {
    for (let step = 1; step <= options.steps && next; step++) {
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      const batch = await next;
      next = step < options.steps ? load(sampler.batch(batchSize)) : undefined;
      next?.catch(() => undefined);
      const loss = await trainer.step(batch);
      if (!Number.isFinite(loss)) throw new Error(`Training diverged: loss ${loss} at step ${step}`);
      losses.push(loss);
      const elapsedMs = performance.now() - started;
      await options.onStep?.({
        step,
        steps: options.steps,
        loss,
        imagesPerSecond: (2 * batchSize * step) / (elapsedMs / 1000),
        elapsedMs,
      });
    }
  } finally {
    trainer.dispose();
  }
  const elapsedMs = performance.now() - started;
  return {
    losses,
    stepsTaken: losses.length,
    stopped,
    imagesPerSecond: losses.length ? (2 * batchSize * losses.length) / (elapsedMs / 1000) : 0,
    elapsedMs,
  };
}
