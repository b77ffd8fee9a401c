import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../backend.ts';
import { contrastiveLoss } from '../contrastive-loss.ts';
import { buildEmbeddingModel } from '../embedding-model.ts';
import { resolveEmbedderSpec } from '../model-spec.ts';
import { createSiameseModel } from '../siamese-model.ts';
import { fixture, relativeError, valuesOn } from './cross-backend.ts';

// Training on wasm runs kernels inference never touches. Each check computes the same gradients on
// cpu (TF.js' reference backend) and on wasm with our kernels registered.
async function expectSameOnWasmAsCpu(compute: () => tf.Tensor[], tolerance = 1e-4): Promise<void> {
  const cpu = await valuesOn('cpu', compute);
  const wasm = await valuesOn('wasm', compute);
  expect(wasm).toHaveLength(cpu.length);
  cpu.forEach((values, i) => {
    expect(values.every(Number.isFinite)).toBe(true);
    expect(relativeError(values, wasm[i]!), `result ${i}`).toBeLessThan(tolerance);
  });
}

describe('training ops on wasm', () => {
  it('max pooling (ResNet stem) and its gradient', async () => {
    await expectSameOnWasmAsCpu(() => {
      const x = fixture([2, 9, 9, 4], 1) as tf.Tensor4D;
      const f = (t: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.maxPool(
              tf.pad(t as tf.Tensor4D, [
                [0, 0],
                [1, 1],
                [1, 1],
                [0, 0],
              ]),
              3,
              2,
              'valid',
            ),
            1.5,
          ),
        );
      return [tf.grad(f)(x)];
    });
  });

  it('batch normalisation in training mode (FusedBatchNorm + moments) and its gradients', async () => {
    await expectSameOnWasmAsCpu(() => {
      const x = fixture([4, 3, 3, 5], 1);
      const gamma = fixture([5], 2);
      const beta = fixture([5], 3);
      const f = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(t, [0, 1, 2]);
        const y = tf.batchNorm(t, mean, variance, b, g, 1.001e-5);
        return tf.sum(tf.mul(tf.relu(y), fixture([4, 3, 3, 5], 4)));
      };
      return tf.grads(f)([x, gamma, beta]);
    });
  });

  it('global average pooling, dense head, distance and loss gradients', async () => {
    await expectSameOnWasmAsCpu(() => {
      const x = fixture([4, 3, 3, 6], 1);
      const w = fixture([6, 3], 2);
      const f = (t: tf.Tensor, k: tf.Tensor) => {
        const e = tf.matMul(tf.mean(t, [1, 2]), k as tf.Tensor2D);
        const [a, b] = tf.split(e, 2);
        const d = tf.sqrt(tf.maximum(tf.sum(tf.squaredDifference(a!, b!), 1), 1e-12)) as tf.Tensor1D;
        return contrastiveLoss(d, tf.tensor1d([1, 0]), 2);
      };
      return tf.grads(f)([x, w]);
    });
  });

  it('an Adam update', async () => {
    await expectSameOnWasmAsCpu(() => {
      const v = tf.variable(fixture([3, 4], 1));
      const optimizer = tf.train.adam(0.01);
      for (let i = 0; i < 3; i++) optimizer.minimize(() => tf.sum(tf.square(tf.sub(v, fixture([3, 4], 2)))) as tf.Scalar);
      optimizer.dispose();
      const result = v.clone();
      v.dispose();
      return [result];
    });
  });

  it('the whole Siamese training gradient of resnet-tiny', async () => {
    // dropout 0: its random masks would differ between the two runs
    const spec = resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: 16, embeddingDim: 8, dropout: 0 });
    const gradients = async (backend: BackendName) => {
      await initBackend(backend);
      const tower = buildEmbeddingModel(spec);
      try {
        return await valuesOn(backend, () => {
          const siamese = createSiameseModel(tower);
          const a = fixture([2, 16, 16, 3], 1) as tf.Tensor4D;
          const b = fixture([2, 16, 16, 3], 2) as tf.Tensor4D;
          const loss = () => contrastiveLoss(siamese.distance(a, b, { training: true }), tf.tensor1d([1, 0]), 1);
          const { value, grads } = tf.variableGrads(
            loss,
            tower.trainableWeights.map((w) => w.read() as tf.Variable),
          );
          return [value, ...Object.values(grads)];
        });
      } finally {
        tower.dispose();
      }
    };
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    expect(wasm).toHaveLength(cpu.length);
    expect(cpu.length).toBeGreaterThan(20);
    // measured worst case 2.5e-6 (float32 summation order)
    cpu.forEach((values, i) => expect(relativeError(values, wasm[i]!), `gradient ${i}`).toBeLessThan(1e-4));
  });
});
