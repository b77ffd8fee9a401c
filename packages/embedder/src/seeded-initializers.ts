import * as tf from '@tensorflow/tfjs';

type Initializer = ReturnType<typeof tf.initializers.heNormal>;

/**
 * Initialisers whose seed is derived from the model seed and the layer's name, so every layer gets
 * its own stream, the same spec always yields bit-identical weights (TF.js draws them in JS, whatever
 * the backend), and adding a layer does not reshuffle the others.
 */
export class SeededInitializers {
  constructor(private readonly seed: number) {}

  /** He-normal, the usual choice in front of ReLU. */
  heNormal(layerName: string): Initializer {
    return tf.initializers.heNormal({ seed: this.layerSeed(layerName) });
  }

  /** Glorot-uniform, Keras' default for Dense. */
  glorotUniform(layerName: string): Initializer {
    return tf.initializers.glorotUniform({ seed: this.layerSeed(layerName) });
  }

  layerSeed(layerName: string): number {
    return fnv1a32(`${this.seed}/${layerName}`);
  }
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
