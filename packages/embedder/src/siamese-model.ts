import * as tf from '@tensorflow/tfjs';

/**
 * The paper's Siamese network: two towers that are one and the same embedding model (one set of
 * weights, updated by the gradients of both branches), joined by the Euclidean distance between
 * their outputs.
 */
export interface SiameseModel {
  /** the shared tower: image -> embedding */
  readonly tower: tf.LayersModel;
  /**
   * D = ||f(a) - f(b)||_2 for each pair of rows of `a` and `b` ([n, size, size, 3] each).
   * `training` switches dropout on and batch norm to batch statistics (and updates its moving stats).
   */
  distance(a: tf.Tensor4D, b: tf.Tensor4D, options?: { training?: boolean }): tf.Tensor1D;
}

export function createSiameseModel(tower: tf.LayersModel): SiameseModel {
  if (tower.inputs.length !== 1 || tower.outputs.length !== 1) {
    throw new Error('The Siamese tower must be a model with one image input and one embedding output');
  }
  return {
    tower,
    distance(a, b, options) {
      if (a.shape[0] !== b.shape[0]) throw new Error(`Siamese distance: ${a.shape[0]} left images but ${b.shape[0]} right`);
      const kwargs = { training: options?.training ?? false };
      return tf.tidy(() => euclideanDistance(tower.apply(a, kwargs) as tf.Tensor2D, tower.apply(b, kwargs) as tf.Tensor2D));
    },
  };
}

// sqrt has an infinite derivative at 0, which turns identical embeddings into NaN gradients; below
// this squared distance the gradient is cut to 0 instead (the distance itself is ~1e-6 there).
const MIN_SQUARED_DISTANCE = 1e-12;

/** Row-wise Euclidean distance between two [n, d] matrices, safe to differentiate at 0. */
export function euclideanDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.maximum(tf.sum(tf.squaredDifference(a, b), 1), MIN_SQUARED_DISTANCE)) as tf.Tensor1D);
}
