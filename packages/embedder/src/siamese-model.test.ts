import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { buildEmbeddingModel } from './embedding-model.ts';
import { resolveEmbedderSpec } from './model-spec.ts';
import { createSiameseModel, euclideanDistance } from './siamese-model.ts';

describe('Siamese model', () => {
  const spec = resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: 16, embeddingDim: 8, dropout: 0.5 });
  let tower: tf.LayersModel;
  const images = (salt: number) =>
    tf.tensor4d(
      Float32Array.from({ length: 3 * 16 * 16 * 3 }, (_, i) => Math.sin(i * 0.13 + salt)),
      [3, 16, 16, 3],
    );

  beforeAll(async () => {
    await initBackend('wasm');
    tower = buildEmbeddingModel(spec);
  });
  afterAll(() => tower.dispose());

  it("returns the Euclidean distance between the two towers' embeddings", () => {
    tf.tidy(() => {
      const a = images(1);
      const b = images(2);
      const d = createSiameseModel(tower).distance(a, b);
      expect(d.shape).toEqual([3]);
      const ea = tower.predict(a) as tf.Tensor2D;
      const eb = tower.predict(b) as tf.Tensor2D;
      const expected = tf.norm(tf.sub(ea, eb), 'euclidean', 1);
      expect(Array.from(d.dataSync())).toEqual(Array.from(expected.dataSync()).map((v) => expect.closeTo(v, 4)));
    });
  });

  it('shares one set of weights between the towers', () => {
    tf.tidy(() => {
      const siamese = createSiameseModel(tower);
      expect(siamese.tower).toBe(tower);
      const a = images(1);
      const b = images(2);
      const variables = tower.trainableWeights.map((w) => w.read() as tf.Variable);
      // With shared weights D(a, b) and D(b, a) are the same function of the same variables.
      const ab = tf.variableGrads(() => tf.sum(siamese.distance(a, b)), variables);
      const ba = tf.variableGrads(() => tf.sum(siamese.distance(b, a)), variables);
      expect(Object.keys(ab.grads)).toHaveLength(tower.trainableWeights.length);
      for (const [name, grad] of Object.entries(ab.grads)) {
        const other = ba.grads[name];
        expect(other, name).toBeDefined();
        expect(tf.max(tf.abs(tf.sub(grad, other!))).dataSync()[0]).toBeLessThan(1e-4);
      }
      // and the tower's weights do receive gradient
      const total = Object.values(ab.grads).reduce((sum, g) => sum + (tf.sum(tf.abs(g)).dataSync()[0] ?? 0), 0);
      expect(total).toBeGreaterThan(0);
    });
  });

  it('gives 0 for identical inputs, with finite gradients', () => {
    tf.tidy(() => {
      const a = images(1);
      const siamese = createSiameseModel(tower);
      expect(Array.from(siamese.distance(a, a).dataSync())).toEqual([expect.closeTo(0, 5), expect.closeTo(0, 5), expect.closeTo(0, 5)]);
      const { grads } = tf.variableGrads(
        () => tf.sum(siamese.distance(a, a)),
        tower.trainableWeights.map((w) => w.read() as tf.Variable),
      );
      for (const g of Object.values(grads)) expect(g.dataSync().every(Number.isFinite)).toBe(true);
      const x = tf.tensor2d([[1, 2]]);
      expect(
        tf
          .grad((t: tf.Tensor) => euclideanDistance(t as tf.Tensor2D, x))(x)
          .dataSync()
          .every(Number.isFinite),
      ).toBe(true);
    });
  });

  it('applies dropout only when training', () => {
    tf.tidy(() => {
      const siamese = createSiameseModel(tower);
      const a = images(1);
      const b = images(2);
      expect(siamese.distance(a, b).dataSync()).toEqual(siamese.distance(a, b).dataSync());
      expect(siamese.distance(a, b, { training: true }).dataSync()).not.toEqual(siamese.distance(a, b).dataSync());
    });
  });

  it('rejects batches of different sizes', () => {
    tf.tidy(() => {
      const a = images(1);
      expect(() => createSiameseModel(tower).distance(a, tf.slice(a, 0, 2))).toThrow(/3 left images but 2 right/);
    });
  });
});
