import * as tf from '@tensorflow/tfjs';
import { contrastiveLoss, DEFAULT_MARGIN } from './contrastive-loss.ts';
import { packImages } from './embed-inputs.ts';
import { createSiameseModel, type SiameseModel } from './siamese-model.ts';

/** Pairs as parallel arrays: a[i] and b[i] are preprocessed HWC RGB images, same[i] their y. */
export interface PairBatch {
  a: Float32Array[];
  b: Float32Array[];
  same: boolean[];
}

export interface SiameseTrainerOptions {
  /** Adam's step size; default 1e-3 (Keras' default; the paper names Adam but no rate) */
  learningRate?: number;
  /** contrastive-loss margin; default DEFAULT_MARGIN */
  margin?: number;
}

export interface SiameseTrainer {
  readonly siamese: SiameseModel;
  readonly optimizer: tf.Optimizer;
  /** One Adam step on the batch; returns its mean contrastive loss (before the update). */
  step(batch: PairBatch): Promise<number>;
  /** Loss and distances in inference mode (no dropout, moving batch-norm statistics), no update. */
  evaluate(batch: PairBatch): Promise<{ loss: number; distances: Float32Array }>;
  /** Frees the optimiser's state; the tower stays the caller's. */
  dispose(): void;
}

/** Trains `tower` (an embedding model, e.g. Embedder.model) in place as the Siamese network. */
export function createSiameseTrainer(tower: tf.LayersModel, options: SiameseTrainerOptions = {}): SiameseTrainer {
  const learningRate = options.learningRate ?? 1e-3;
  const margin = options.margin ?? DEFAULT_MARGIN;
  if (!(learningRate > 0)) throw new Error(`learningRate must be positive, got ${learningRate}`);
  if (!(margin > 0)) throw new Error(`margin must be positive, got ${margin}`);
  const siamese = createSiameseModel(tower);
  const optimizer = tf.train.adam(learningRate);
  const [, inputHeight, inputWidth, channels] = tower.inputs[0]?.shape ?? [];
  if (!inputHeight || inputWidth !== inputHeight || channels !== 3) throw new Error('The tower must take [size, size, 3] images');
  const size: number = inputHeight;

  function toTensors(batch: PairBatch): { a: tf.Tensor4D; b: tf.Tensor4D; y: tf.Tensor1D } {
    const n = batch.same.length;
    if (n === 0) throw new Error('Empty batch of pairs');
    if (batch.a.length !== n || batch.b.length !== n) {
      throw new Error(`Batch has ${batch.a.length} left images, ${batch.b.length} right images and ${n} labels`);
    }
    const stack = (images: Float32Array[], side: string): tf.Tensor4D =>
      tf.tensor4d(
        packImages(images, size, (i) => `Pair ${i}, ${side} image`),
        [n, size, size, 3],
      );
    const a = stack(batch.a, 'left');
    try {
      const b = stack(batch.b, 'right');
      return { a, b, y: tf.tensor1d(batch.same.map(Number)) };
    } catch (error) {
      a.dispose();
      throw error;
    }
  }

  return {
    siamese,
    optimizer,
    async step(batch) {
      const { a, b, y } = toTensors(batch);
      try {
        // Read the variables at each step: loading weights into the tower may replace them.
        const variables = tower.trainableWeights.map((w) => w.read() as tf.Variable);
        const loss = optimizer.minimize(() => contrastiveLoss(siamese.distance(a, b, { training: true }), y, margin), true, variables);
        if (!loss) throw new Error('The optimiser returned no loss');
        try {
          return (await loss.data())[0] ?? NaN;
        } finally {
          loss.dispose();
        }
      } finally {
        tf.dispose([a, b, y]);
      }
    },
    async evaluate(batch) {
      const { a, b, y } = toTensors(batch);
      const distance = siamese.distance(a, b);
      const loss = contrastiveLoss(distance, y, margin);
      try {
        return { loss: (await loss.data())[0] ?? NaN, distances: (await distance.data()) as Float32Array };
      } finally {
        tf.dispose([a, b, y, distance, loss]);
      }
    },
    dispose() {
      optimizer.dispose();
    },
  };
}
