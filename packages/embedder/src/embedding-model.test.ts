import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { createEmbedder, loadEmbedder, type Embedder } from './embedding-model.ts';
import type { EmbedderSpec } from './model-spec.ts';

const TINY: Partial<EmbedderSpec> = { architecture: 'resnet-tiny', inputSize: 32, embeddingDim: 16 };

/** Deterministic pseudo-images in [-1, 1]. */
function images(count: number, size: number, salt = 0): Float32Array[] {
  return Array.from({ length: count }, (_, k) => Float32Array.from({ length: size * size * 3 }, (_, i) => Math.sin(i * 0.37 + (k + salt) * 1.91)));
}

describe('embedder', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm');
    dir = await mkdtemp(path.join(tmpdir(), 'cbmir-embedder-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('embeds 224 px images with the paper ResNet-50 into 128 values each', async () => {
    const embedder = await createEmbedder();
    try {
      expect(embedder.spec).toEqual({ architecture: 'resnet50', inputSize: 224, embeddingDim: 128, seed: 42, dropout: 0.25, inputConvention: 'unit' });
      expect(embedder.backend).toBe('wasm');
      const [embedding, ...rest] = await embedder.embed(images(1, 224));
      expect(rest).toHaveLength(0);
      expect(embedding).toBeInstanceOf(Float32Array);
      expect(embedding).toHaveLength(128);
      expect(embedding?.every(Number.isFinite)).toBe(true);
    } finally {
      embedder.dispose();
    }
  });

  it('gives identical embeddings for the same seed and different ones for another seed', async () => {
    const input = images(3, 32);
    const [a, b, c] = await Promise.all([createEmbedder(TINY), createEmbedder(TINY), createEmbedder({ ...TINY, seed: 7 })]);
    try {
      const [ea, eb, ec] = await Promise.all([a.embed(input), b.embed(input), c.embed(input)]);
      expect(eb).toEqual(ea);
      expect(ec).not.toEqual(ea);
      // the images themselves map to different points
      expect(ea?.[1]).not.toEqual(ea?.[0]);
    } finally {
      [a, b, c].forEach((e) => e.dispose());
    }
  });

  it('runs in inference mode and batches without changing results', async () => {
    const embedder = await createEmbedder({ ...TINY, dropout: 0.5 });
    try {
      const input = images(5, 32);
      const once = await embedder.embed(input);
      expect(await embedder.embed(input)).toEqual(once); // no dropout noise
      const inPairs = await embedder.embed(input, { batchSize: 2 });
      inPairs.forEach((e, i) => e.forEach((v, j) => expect(v).toBeCloseTo(once[i]?.[j] ?? NaN, 4)));
      expect(await embedder.embed([])).toEqual([]);
    } finally {
      embedder.dispose();
    }
  });

  it('saves and loads a model directory that reproduces the embeddings exactly', async () => {
    const input = images(4, 32, 5);
    const original = await createEmbedder({ ...TINY, seed: 3 });
    const modelDir = path.join(dir, 'v1');
    let loaded: Embedder | undefined;
    try {
      const before = await original.embed(input);
      await original.save(modelDir, { note: 'untrained' });
      const metadata = JSON.parse(await readFile(path.join(modelDir, 'metadata.json'), 'utf8'));
      expect(metadata).toMatchObject({ format: 'cbmir-embedder', spec: original.spec, info: { note: 'untrained' } });
      const modelJson = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8'));
      expect(modelJson).toMatchObject({ format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'] }] });

      loaded = await loadEmbedder(modelDir);
      expect(loaded.spec).toEqual(original.spec);
      expect(await loaded.embed(input)).toEqual(before);
    } finally {
      original.dispose();
      loaded?.dispose();
    }
  });

  it('says clearly when there is no model to load', async () => {
    await expect(loadEmbedder(path.join(dir, 'missing'))).rejects.toThrow(/No saved embedder in .*missing: cannot read metadata\.json/);
  });

  it('rejects inputs of the wrong size', async () => {
    const embedder = await createEmbedder(TINY);
    try {
      await expect(embedder.embed([...images(1, 32), new Float32Array(10)])).rejects.toThrow(
        'embed: image 1 is 10 values; expected a Float32Array of 32*32*3 = 3072 values (HWC RGB, preprocessed to 32 px)',
      );
      await expect(embedder.embed(images(1, 224))).rejects.toThrow(/image 0 is 150528 values; expected .* 3072/);
      await expect(embedder.embed([[0, 1] as unknown as Float32Array])).rejects.toThrow(/image 0 is a Array/);
      await expect(embedder.embed(images(1, 32), { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    } finally {
      embedder.dispose();
    }
    await expect(embedder.embed(images(1, 32))).rejects.toThrow(/disposed/);
  });

  it('rejects invalid specs', async () => {
    await expect(createEmbedder({ architecture: 'vgg16' as never })).rejects.toThrow(/Unknown architecture "vgg16"/);
    await expect(createEmbedder({ ...TINY, dropout: 1 })).rejects.toThrow(/dropout must be in \[0, 1\)/);
  });

  it('leaks no tensors across embed calls, and dispose frees the weights', async () => {
    const baseline = tf.memory().numTensors;
    const embedder = await createEmbedder(TINY);
    const input = images(5, 32);
    await embedder.embed(input, { batchSize: 2 });
    const afterFirst = tf.memory();
    for (let i = 0; i < 3; i++) await embedder.embed(input, { batchSize: 2 });
    expect(tf.memory().numTensors).toBe(afterFirst.numTensors);
    expect(tf.memory().numBytes).toBe(afterFirst.numBytes);
    embedder.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
