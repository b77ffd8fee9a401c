import * as tf from '@tensorflow/tfjs';
import { packImages } from './embed-inputs.ts';
import type { EmbedderSpec } from './model-spec.ts';
import { buildResNet } from './resnet.ts';
import { SeededInitializers } from './seeded-initializers.ts';

/** The layers of the supervised baseline that the paper's Table 1 compares as embeddings, in order. */
export const SUPERVISED_LAYERS = {
  /** third-to-last: the backbone's global average pool */
  pooled: 'avg_pool',
  /** second-to-last: the dense layer before the classifier (spec.embeddingDim wide) */
  penultimate: 'embedding',
  /** the 5-way softmax */
  softmax: 'grade_softmax',
} as const;

export const GRADE_CLASSES = 5;

/**
 * The supervised baseline: the same ResNet as the Siamese tower, then dropout, a ReLU dense layer of
 * spec.embeddingDim and a 5-way softmax over DR grades, trained with cross-entropy.
 */
export function buildClassifierModel(spec: EmbedderSpec, classes = GRADE_CLASSES): tf.LayersModel {
  const backbone = buildResNet(spec);
  const init = new SeededInitializers(spec.seed);
  const features = backbone.outputs[0] as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ rate: spec.dropout, name: 'embedding_dropout' }).apply(features);
  const hidden = tf.layers
    .dense({ units: spec.embeddingDim, activation: 'relu', name: SUPERVISED_LAYERS.penultimate, kernelInitializer: init.glorotUniform('embedding') })
    .apply(dropped) as tf.SymbolicTensor;
  const softmax = tf.layers
    .dense({ units: classes, activation: 'softmax', name: SUPERVISED_LAYERS.softmax, kernelInitializer: init.glorotUniform('grade_softmax') })
    .apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: backbone.inputs, outputs: softmax, name: 'grade_classifier' });
}

export interface SupervisedTrainer {
  readonly optimizer: tf.Optimizer;
  /** One Adam step of cross-entropy on images (HWC floats) with grade labels; returns the loss before it. */
  step(images: Float32Array[], grades: number[]): Promise<number>;
  dispose(): void;
}

export function createSupervisedTrainer(model: tf.LayersModel, options: { learningRate?: number } = {}): SupervisedTrainer {
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const [, size] = model.inputs[0]?.shape ?? [];
  const classes = model.outputs[0]?.shape[1];
  if (!size || !classes) throw new Error('the classifier must take [size, size, 3] images and output class scores');
  return {
    optimizer,
    async step(images, grades) {
      if (images.length === 0 || images.length !== grades.length) throw new Error(`${images.length} images for ${grades.length} grades`);
      const x = tf.tensor4d(
        packImages(images, size, (i) => `training image ${i}`),
        [images.length, size, size, 3],
      );
      const y = tf.oneHot(tf.tensor1d(grades, 'int32'), classes);
      try {
        const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const loss = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(y, tf.log(tf.clipByValue(model.apply(x, { training: true }) as tf.Tensor, 1e-7, 1))) as tf.Scalar,
          true,
          variables,
        );
        const value = (await loss!.data())[0]!;
        loss!.dispose();
        return value;
      } finally {
        x.dispose();
        y.dispose();
      }
    },
    dispose: () => optimizer.dispose(),
  };
}
