import * as tf from '@tensorflow/tfjs';

/**
 * Hadsell et al.'s margin: different-grade pairs stop contributing once they are this far apart.
 * Embeddings are not normalised, so the scale is whatever the network learns around it.
 */
export const DEFAULT_MARGIN = 1;

/**
 * The paper's contrastive loss, averaged over the batch:
 *   L = y * 1/2 * D^2 + (1 - y) * 1/2 * max(0, margin - D)^2
 * with D the Euclidean distance between the two embeddings of a pair and y = 1 when both images have
 * the same grade (the paper writes the indicator the other way round: its L = 0 is our y = 1).
 */
export function contrastiveLoss(distance: tf.Tensor1D, same: tf.Tensor1D, margin: number = DEFAULT_MARGIN): tf.Scalar {
  if (!(margin > 0)) throw new Error(`margin must be positive, got ${margin}`);
  if (distance.shape[0] !== same.shape[0]) {
    throw new Error(`contrastiveLoss: ${distance.shape[0]} distances but ${same.shape[0]} labels`);
  }
  return tf.tidy(() => {
    const y = same.toFloat();
    const pull = tf.mul(y, tf.square(distance));
    const push = tf.mul(tf.sub(1, y), tf.square(tf.relu(tf.sub(margin, distance))));
    return tf.mean(tf.mul(0.5, tf.add(pull, push))) as tf.Scalar;
  });
}
