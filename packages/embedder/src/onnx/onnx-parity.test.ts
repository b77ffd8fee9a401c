import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PREPROCESSING, generateSyntheticFundus, preprocessFundus, type FundusGrade } from '@cbmir/imaging';
import { createEmbedder, type Embedder } from '../embedding-model.ts';
import { embeddingDifference } from './embedding-parity.ts';
import { loadOnnxEmbedder, type OnnxEmbedder } from './onnx-embedder.ts';
import { writeOnnxModel } from './onnx-model-file.ts';
import { createRandom, mixSeed } from '@cbmir/seeded-random';

/**
 * ONNX Runtime must rank exactly like TF.js: same embeddings within float32 rounding (batch norm folded,
 * different kernels and summation order), and the same top-10 neighbours over a gallery of synthetic fundus
 * photos and random images.
 */
// Measured: ~2e-6 (ResNet-50 at 224 px, trained-like batch-norm statistics), ~3e-7 (resnet-tiny).
const TOLERANCE = 1e-4;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cbmir-onnx-parity-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each([
  // ResNet-50 through TF.js wasm is ~2 images/s here: keep its gallery small.
  { spec: { architecture: 'resnet50', inputSize: 224, embeddingDim: 128, seed: 42 }, fundus: 10, random: 4 },
  { spec: { architecture: 'resnet-tiny', inputSize: 64, embeddingDim: 32, seed: 9 }, fundus: 24, random: 12 },
  // the fixed caffe input layer of an --init network
  { spec: { architecture: 'resnet-tiny', inputSize: 32, embeddingDim: 16, seed: 5, inputConvention: 'caffe' }, fundus: 8, random: 4 },
] as const)('ONNX export of $spec.architecture at $spec.inputSize px', ({ spec, fundus, random }) => {
  let tfjs: Embedder;
  let onnx: OnnxEmbedder;
  let gallery: Float32Array[];

  beforeAll(async () => {
    tfjs = await createEmbedder(spec);
    perturbBatchNorms(tfjs.model, spec.seed);
    const { file } = await writeOnnxModel(path.join(dir, `${spec.architecture}-${spec.inputSize}`), tfjs);
    onnx = await loadOnnxEmbedder(file, tfjs.spec, { provider: 'cpu' });
    gallery = [...(await fundusImages(fundus, spec.inputSize)), ...randomImages(random, spec.inputSize, spec.seed)];
  }, 300_000);

  afterAll(() => {
    tfjs?.dispose();
    onnx?.dispose();
  });

  it('gives the same embeddings and the same top-10 neighbours as TF.js', async () => {
    const expected = await tfjs.embed(gallery);
    const actual = await onnx.embed(gallery);
    const difference = embeddingDifference(expected, actual);
    expect(difference.maxRelative).toBeLessThan(TOLERANCE);
    expect(difference.maxRelativeL2).toBeLessThan(TOLERANCE);
    // Every gallery image as a query against the others.
    expect(gallery.map((_, q) => topNeighbours(actual, q, 10))).toEqual(gallery.map((_, q) => topNeighbours(expected, q, 10)));
  }, 300_000);

  it('takes any batch size: one image alone embeds as it does in a batch', async () => {
    const [alone] = await onnx.embed(gallery.slice(2, 3));
    const inBatch = await onnx.embed(gallery.slice(0, 5), { batchSize: 5 });
    expect(embeddingDifference([inBatch[2]!], [alone!]).maxRelative).toBeLessThan(1e-5);
  });
});

/** Synthetic fundus photos of every grade, preprocessed exactly as ingest and search do. */
async function fundusImages(count: number, inputSize: number): Promise<Float32Array[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const bytes = await generateSyntheticFundus({ seed: 700 + i, grade: (i % 5) as FundusGrade });
      return (await preprocessFundus(bytes, { ...DEFAULT_PREPROCESSING, inputSize })).data;
    }),
  );
}

function randomImages(count: number, size: number, seed: number): Float32Array[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: size * size * 3 }, () => random.range(-1, 1)));
}

/** Indices of the k nearest other gallery items by L2 distance, nearest first. */
function topNeighbours(embeddings: Float32Array[], query: number, k: number): number[] {
  const q = embeddings[query]!;
  return embeddings
    .map((e, i) => ({ i, d: e.reduce((sum, v, j) => sum + (v - q[j]!) ** 2, 0) }))
    .filter(({ i }) => i !== query)
    .sort((a, b) => a.d - b.d)
    .slice(0, k)
    .map(({ i }) => i);
}

/**
 * A fresh network's batch norms are the identity (gamma 1, beta 0, mean 0, variance 1), which would not
 * show a folding mistake. Give them trained-looking values.
 */
function perturbBatchNorms(model: tf.LayersModel, seed: number): void {
  const random = createRandom(mixSeed(seed, 7919));
  const uniform = (lo: number, hi: number) => random.range(lo, hi);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const n = layer.getWeights()[0]!.shape[0]!;
    const fill = (lo: number, hi: number) => tf.tensor1d(Float32Array.from({ length: n }, () => uniform(lo, hi)));
    const values = [fill(0.6, 1.4), fill(-0.2, 0.2), fill(-0.3, 0.3), fill(0.5, 2)];
    layer.setWeights(values);
    values.forEach((t) => t.dispose());
  }
}
