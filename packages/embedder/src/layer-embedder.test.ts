import * as tf from '@tensorflow/tfjs';
import { createEmbedder } from './embedding-model.ts';
import { resolveEmbedderSpec } from './model-spec.ts';
import { buildClassifierModel, SUPERVISED_LAYERS } from './supervised-model.ts';
import { describe, expect, it } from 'vitest';
import { layerEmbedder, layerWidth, representationLayers, resolveLayer } from './layer-embedder.ts';

const spec = { architecture: 'resnet-tiny' as const, inputSize: 32, embeddingDim: 8, seed: 3 };

describe('embedding sources: (model, layer) -> vectors', () => {
  it('counts the supervised baseline’s layers as the paper does: softmax, dense, avg_pool', () => {
    const model = buildClassifierModel(resolveEmbedderSpec(spec));
    try {
      expect(resolveLayer(model, 'softmax').name).toBe(SUPERVISED_LAYERS.softmax);
      expect(resolveLayer(model, 'second-last').name).toBe(SUPERVISED_LAYERS.penultimate);
      expect(resolveLayer(model, 'third-last').name).toBe(SUPERVISED_LAYERS.pooled);
      expect(resolveLayer(model, '-3').name).toBe(SUPERVISED_LAYERS.pooled);
      // dropout, the input, and the feature map that only feeds avg_pool are not representations of their own
      const names = representationLayers(model).map((layer) => layer.name);
      expect(names).not.toContain('embedding_dropout');
      expect(names).not.toContain('input_image');
      expect(names).not.toContain('conv4_block1_out');
      expect(() => resolveLayer(model, 'nope')).toThrow(/no layer "nope".*grade_softmax/);
      expect(() => resolveLayer(model, '-999')).toThrow(/out of range/);
    } finally {
      model.dispose();
    }
  });

  it('reads a layer through a truncated graph that shares the model’s weights, pooling conv maps', async () => {
    const base = await createEmbedder(spec);
    const image = Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => Math.sin(i));
    const [output] = await base.embed([image]);
    const pooled = layerEmbedder(base, resolveLayer(base.model, 'avg_pool'));
    const conv = layerEmbedder(base, resolveLayer(base.model, 'conv3_block1_out'));
    expect(pooled.spec.embeddingDim).toBe(64);
    expect(conv.spec.embeddingDim).toBe(layerWidth(resolveLayer(base.model, 'conv3_block1_out')));
    const [features] = await pooled.embed([image, image]);
    // the embedding is the dense layer applied to avg_pool: recompute it from the pooled features
    const dense = base.model.getLayer('embedding');
    const recomputed = tf.tidy(() => (dense.apply(tf.tensor2d(features!, [1, 64])) as tf.Tensor).dataSync());
    expect([...recomputed].map((v) => v.toFixed(4))).toEqual([...output!].map((v) => v.toFixed(4)));
    expect((await conv.embed([image]))[0]).toHaveLength(32);
    pooled.dispose();
    expect(() => base.model.predict(tf.zeros([1, 32, 32, 3]))).toThrow();
  });
});
