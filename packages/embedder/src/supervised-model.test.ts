import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { loadEmbedder } from './embedding-model.ts';
import { saveModelDir } from './model-files.ts';
import { resolveEmbedderSpec } from './model-spec.ts';
import { buildClassifierModel, createSupervisedTrainer, SUPERVISED_LAYERS } from './supervised-model.ts';
import { createRandom } from '@cbmir/seeded-random';

beforeAll(async () => {
  await initBackend();
});

const spec = resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: 16, embeddingDim: 8, seed: 3, dropout: 0 });

/** Two visually separable classes: bright top half vs bright bottom half, with seeded noise. */
function batch(n: number, seed: number) {
  const random = createRandom(seed);
  const noise = () => random.range(-0.1, 0.1);
  const images: Float32Array[] = [];
  const grades: number[] = [];
  for (let i = 0; i < n; i++) {
    const grade = i % 2 === 0 ? 0 : 4;
    const image = new Float32Array(16 * 16 * 3);
    for (let p = 0; p < 16 * 16; p++) {
      const top = Math.floor(p / 16) < 8;
      image.fill((grade === 0) === top ? 0.8 + noise() : -0.8 + noise(), p * 3, p * 3 + 3);
    }
    images.push(image);
    grades.push(grade);
  }
  return { images, grades };
}

describe('supervised baseline', () => {
  it('has the three layers Table 1 compares, the last a 5-way softmax', () => {
    const model = buildClassifierModel(spec);
    expect(model.getLayer(SUPERVISED_LAYERS.pooled).outputShape).toEqual([null, 64]);
    expect(model.getLayer(SUPERVISED_LAYERS.penultimate).outputShape).toEqual([null, 8]);
    expect(model.outputs[0]!.shape).toEqual([null, 5]);
    const probabilities = tf.tidy(() => (model.predict(tf.zeros([2, 16, 16, 3])) as tf.Tensor).sum(1).arraySync() as number[]);
    probabilities.forEach((p) => expect(p).toBeCloseTo(1, 5));
    model.dispose();
  });

  it('learns to tell two grades apart: cross-entropy falls', async () => {
    const model = buildClassifierModel(spec);
    const trainer = createSupervisedTrainer(model, { learningRate: 0.01 });
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const { images, grades } = batch(8, step + 1);
      losses.push(await trainer.step(images, grades));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)) * 0.5);
    await expect(trainer.step([], [])).rejects.toThrow();
    trainer.dispose();
    model.dispose();
  }, 180_000);
});

describe('a saved supervised baseline', () => {
  it('loads as an embedder of its second-to-last layer, with the whole classifier kept for other layers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cbmir-supervised-'));
    try {
      const classifier = buildClassifierModel(spec);
      await saveModelDir(dir, classifier, spec, { kind: 'supervised' });
      const { images } = batch(3, 9);
      const expected = tf.tidy(() => {
        const hidden = tf.model({ inputs: classifier.inputs, outputs: classifier.getLayer(SUPERVISED_LAYERS.penultimate).output });
        return hidden.predict(tf.tensor4d(Float32Array.from(images.flatMap((image) => [...image])), [3, 16, 16, 3])) as tf.Tensor;
      });
      const expectedRows = (await expected.array()) as number[][];
      expected.dispose();
      classifier.dispose();

      const embedder = await loadEmbedder(dir);
      expect(embedder.spec.embeddingDim).toBe(8);
      expect(embedder.network.outputs[0]!.shape).toEqual([null, 5]);
      const embeddings = await embedder.embed(images);
      embeddings.forEach((embedding, i) =>
        expect(
          Array.from(embedding)
            .map((v, j) => v - expectedRows[i]![j]!)
            .every((d) => Math.abs(d) < 1e-5),
        ).toBe(true),
      );

      // saving it again keeps the classifier, so a reload still has the softmax
      await embedder.save(join(dir, 'again'), { kind: 'supervised' });
      embedder.dispose();
      const reloaded = await loadEmbedder(join(dir, 'again'));
      expect(reloaded.network.layers.at(-1)!.name).toBe(SUPERVISED_LAYERS.softmax);
      reloaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
