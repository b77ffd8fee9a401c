import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom, type Random } from '@cbmir/seeded-random';
import { initBackend } from './backend.ts';
import { createEmbedder } from './embedding-model.ts';
import type { PairItem } from './pair-sampler.ts';
import { createSiameseTrainer } from './train-step.ts';
import { trainSiamese } from './training-loop.ts';

const SIZE = 32;

/** Two classes that differ only in orientation: horizontal vs vertical stripes, random frequency, phase and noise. */
function stripes(label: number, random: Random): Float32Array {
  const image = new Float32Array(SIZE * SIZE * 3);
  const frequency = (2 + random.next() * 2) * ((2 * Math.PI) / SIZE);
  const phase = random.next() * 2 * Math.PI;
  const tint = [random.next(), random.next(), random.next()].map((v) => 0.5 + 0.5 * v);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const wave = Math.sin((label === 0 ? y : x) * frequency + phase);
      for (let c = 0; c < 3; c++) image[(y * SIZE + x) * 3 + c] = 0.7 * wave * (tint[c] ?? 1) + 0.3 * (random.next() * 2 - 1);
    }
  }
  return image;
}

function meanDistances(embeddings: Float32Array[], labels: number[]): { same: number; different: number } {
  const sums = { same: [0, 0], different: [0, 0] };
  for (let i = 0; i < embeddings.length; i++) {
    for (let j = i + 1; j < embeddings.length; j++) {
      const d = Math.hypot(...embeddings[i]!.map((v, k) => v - embeddings[j]![k]!));
      const bucket = labels[i] === labels[j] ? sums.same : sums.different;
      bucket[0]! += d;
      bucket[1]! += 1;
    }
  }
  return { same: sums.same[0]! / sums.same[1]!, different: sums.different[0]! / sums.different[1]! };
}

describe('Siamese training', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('learns to separate two synthetic classes on wasm: the loss falls and same-class distances shrink', { timeout: 180_000 }, async () => {
    const random = createRandom(11);
    const items: PairItem[] = [];
    const images = new Map<string, Float32Array>();
    for (let i = 0; i < 24; i++) {
      const label = i % 2;
      items.push({ id: `img${i}`, label, patientId: `patient${i}` });
      images.set(`img${i}`, stripes(label, random));
    }
    // No dropout: with independent masks in the two towers it adds distance noise that a 64-feature
    // network needs many more steps to overcome (and it would make the run non-deterministic).
    const embedder = await createEmbedder({ architecture: 'resnet-tiny', inputSize: SIZE, embeddingDim: 16, seed: 5, dropout: 0 });
    try {
      const all = items.map((item) => images.get(item.id)!);
      const labels = items.map((item) => Number(item.label));
      const before = meanDistances(await embedder.embed(all), labels);

      const tensorsBefore = tf.memory().numTensors;
      const progress: number[] = [];
      const result = await trainSiamese({
        model: embedder.model,
        items,
        loadImage: (id) => images.get(id)!,
        steps: 50,
        batchSize: 8,
        seed: 3,
        learningRate: 3e-3,
        onStep: (p) => {
          progress.push(p.step);
          expect(p.imagesPerSecond).toBeGreaterThan(0);
        },
      });
      expect(tf.memory().numTensors).toBe(tensorsBefore); // optimiser state freed, nothing leaked
      expect(progress).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(result.stepsTaken).toBe(50);

      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const early = mean(result.losses.slice(0, 8));
      const late = mean(result.losses.slice(-8));
      expect(late).toBeLessThan(0.5 * early);

      const after = meanDistances(await embedder.embed(all), labels);
      const ratio = (d: { same: number; different: number }) => d.same / d.different;
      expect(ratio(after)).toBeLessThan(0.6 * ratio(before)); // measured 0.965 -> 0.434
      expect(ratio(after)).toBeLessThan(0.6);
      console.info(
        `resnet-tiny@${SIZE}: loss ${early.toFixed(3)} -> ${late.toFixed(3)}, same/different distance ` +
          `${ratio(before).toFixed(3)} -> ${ratio(after).toFixed(3)}, ${result.imagesPerSecond.toFixed(1)} img/s`,
      );
    } finally {
      embedder.dispose();
    }
  });

  it('stops when aborted, and rejects malformed batches', async () => {
    const embedder = await createEmbedder({ architecture: 'resnet-tiny', inputSize: 16, embeddingDim: 4 });
    try {
      const controller = new AbortController();
      const items: PairItem[] = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, label: i % 2 }));
      const image = new Float32Array(16 * 16 * 3).fill(0.1);
      const result = await trainSiamese({
        model: embedder.model,
        items,
        loadImage: () => image,
        steps: 10,
        batchSize: 2,
        onStep: ({ step }) => {
          if (step === 2) controller.abort();
        },
        signal: controller.signal,
      });
      expect(result).toMatchObject({ stepsTaken: 2, stopped: true });

      const trainer = createSiameseTrainer(embedder.model);
      await expect(trainer.step({ a: [image], b: [image], same: [] })).rejects.toThrow(/Empty batch/);
      await expect(trainer.step({ a: [image], b: [new Float32Array(5)], same: [true] })).rejects.toThrow(
        /Pair 0, right image is 5 values; expected a Float32Array of 16\*16\*3 = 768/,
      );
      const { distances } = await trainer.evaluate({ a: [image], b: [image], same: [true] });
      expect(distances[0]).toBeCloseTo(0, 5);
      trainer.dispose();
    } finally {
      embedder.dispose();
    }
  });
});
