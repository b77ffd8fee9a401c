import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { buildEmbeddingModel } from '../embedding-model.ts';
import { resolveEmbedderSpec, type EmbedderSpec } from '../model-spec.ts';
import { buildClassifierModel } from '../supervised-model.ts';
import { runTraining } from '../training-run.ts';
import { writeKerasWeightsFile, type KerasLayerValues } from './keras-weights-file.ts';
import { loadKerasWeights, saveKerasWeights } from './load-keras-weights.ts';

const TINY: EmbedderSpec = resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: 32, embeddingDim: 16 });

/** Deterministic pseudo-images in [-1, 1]. */
function images(count: number, size: number): tf.Tensor4D {
  const values = Float32Array.from({ length: count * size * size * 3 }, (_, i) => Math.sin(i * 0.37));
  return tf.tensor4d(values, [count, size, size, 3]);
}

function outputOf(model: tf.LayersModel, layer?: string): number[] {
  const probe = layer ? tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor }) : model;
  return tf.tidy(() => {
    const input = images(3, model.inputs[0]!.shape[1]!);
    return Array.from((probe.predict(input) as tf.Tensor).dataSync());
  });
}

function weightsOf(model: tf.LayersModel, layer: string): number[][] {
  // getWeights() hands out the variables themselves: read, never dispose
  return model
    .getLayer(layer)
    .getWeights()
    .map((v) => Array.from(v.dataSync()));
}

/** Moves every weight off its seeded start, batch-norm statistics included, so a skipped weight would show. */
function perturb(model: tf.LayersModel, seed: number): void {
  let k = seed;
  tf.tidy(() => {
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      // positive offsets keep the moving variances positive
      layer.setWeights(layer.getWeights().map((w) => w.add(tf.randomUniform(w.shape, 0.01, 0.2, 'float32', k++))));
    }
  });
}

function weightedLayerNames(model: tf.LayersModel): string[] {
  return model.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
}

describe('loadKerasWeights', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  beforeAll(async () => {
    await initBackend('wasm');
    dir = await mkdtemp(path.join(tmpdir(), 'cbmir-keras-weights-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every layer by name, so the copy embeds exactly like the source', async () => {
    const source = buildEmbeddingModel({ ...TINY, seed: 7 });
    const target = buildEmbeddingModel(TINY);
    try {
      perturb(source, 1);
      await saveKerasWeights(source, file('full.h5'));
      expect(outputOf(target)).not.toEqual(outputOf(source));

      const tensors = tf.memory().numTensors;
      const result = await loadKerasWeights(target, file('full.h5'), { strict: true });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(result).toEqual({ loaded: weightedLayerNames(target), missing: [], unexpected: [] });
      expect(result.loaded).toEqual(expect.arrayContaining(['conv1_conv', 'conv1_bn', 'conv2_block1_1_conv', 'conv3_block1_0_conv', 'embedding']));
      expect(outputOf(target)).toEqual(outputOf(source));
    } finally {
      source.dispose();
      target.dispose();
    }
  });

  it('initialises the tower from a notop file and reports the projection head as missing', async () => {
    const source = buildEmbeddingModel({ ...TINY, seed: 7 });
    const target = buildEmbeddingModel(TINY);
    try {
      perturb(source, 100);
      // What keras.applications ships: the backbone alone, without our head.
      const backbone = tf.model({ inputs: source.inputs, outputs: source.getLayer('avg_pool').output as tf.SymbolicTensor });
      await saveKerasWeights(backbone, file('notop.h5'));
      const head = weightsOf(target, 'embedding');

      await expect(loadKerasWeights(target, file('notop.h5'), { strict: true })).rejects.toThrow(/1 model layers not in the file \(embedding\)/);
      expect(outputOf(target, 'avg_pool')).not.toEqual(outputOf(source, 'avg_pool'));

      const result = await loadKerasWeights(target, file('notop.h5'));
      expect(result.missing).toEqual(['embedding']);
      expect(result.unexpected).toEqual([]);
      expect(result.loaded).toEqual(weightedLayerNames(target).filter((n) => n !== 'embedding'));
      expect(outputOf(target, 'avg_pool')).toEqual(outputOf(source, 'avg_pool'));
      expect(weightsOf(target, 'embedding')).toEqual(head);
    } finally {
      source.dispose();
      target.dispose();
    }
  });

  it("leaves a caffe-input network's fixed first layer alone: it holds no ImageNet weights", async () => {
    const source = buildEmbeddingModel({ ...TINY, seed: 7 });
    const target = buildEmbeddingModel({ ...TINY, inputConvention: 'caffe' });
    try {
      const backbone = tf.model({ inputs: source.inputs, outputs: source.getLayer('avg_pool').output as tf.SymbolicTensor });
      await saveKerasWeights(backbone, file('notop-for-caffe.h5'));
      const adapter = weightsOf(target, 'input_caffe');
      const result = await loadKerasWeights(target, file('notop-for-caffe.h5'));
      expect(result.missing).toEqual(['embedding']);
      expect(weightsOf(target, 'input_caffe')).toEqual(adapter);
    } finally {
      source.dispose();
      target.dispose();
    }
  });

  it('ignores, and reports, layers the model does not have', async () => {
    const classifier = buildClassifierModel({ ...TINY, seed: 3 });
    const target = buildEmbeddingModel(TINY);
    try {
      await saveKerasWeights(classifier, file('classifier.h5'));
      const result = await loadKerasWeights(target, file('classifier.h5'));
      expect(result.unexpected).toEqual(['grade_softmax']);
      expect(result.missing).toEqual([]);
      expect(weightsOf(target, 'conv1_conv')).toEqual(weightsOf(classifier, 'conv1_conv'));
    } finally {
      classifier.dispose();
      target.dispose();
    }
  });

  it('names the layer whose shapes differ, and changes nothing', async () => {
    const source = buildEmbeddingModel({ ...TINY, embeddingDim: 8, seed: 7 });
    const target = buildEmbeddingModel(TINY);
    try {
      await saveKerasWeights(source, file('dim8.h5'));
      const before = [weightsOf(target, 'conv1_conv'), weightsOf(target, 'embedding')];
      await expect(loadKerasWeights(target, file('dim8.h5'))).rejects.toThrow(
        'Shape mismatch in layer embedding: ' + `${file('dim8.h5')} has kernel [64, 8], bias [8]; the model has kernel [64, 16], bias [16]`,
      );
      // the check runs before any layer is set: conv1_conv, which would fit, is untouched too
      expect([weightsOf(target, 'conv1_conv'), weightsOf(target, 'embedding')]).toEqual(before);
    } finally {
      source.dispose();
      target.dispose();
    }
  });

  it('rejects a file that shares no layer with the model', async () => {
    const other = tf.sequential({ name: 'other', layers: [tf.layers.dense({ name: 'fc', units: 2, inputShape: [3] })] });
    const target = buildEmbeddingModel(TINY);
    try {
      await saveKerasWeights(other, file('other.h5'));
      await expect(loadKerasWeights(target, file('other.h5'))).rejects.toThrow(
        /has weights for none of the layers of model embedder \(file: fc; model: conv1_conv, conv1_bn/,
      );
    } finally {
      other.dispose();
      target.dispose();
    }
  });

  it('reads the legacy ResNet50 names (bn_conv1, res2a_branch2a, ...) and Keras 1 weight names by position', async () => {
    const source = buildEmbeddingModel({ ...TINY, seed: 7 });
    const target = buildEmbeddingModel(TINY);
    try {
      perturb(source, 200);
      const layers: KerasLayerValues[] = source.layers.map((layer) => {
        const name = legacyName(layer.name);
        const weights = layer.weights.map((w, i) => ({
          // Keras 1 named weights layer_W, layer_b, layer_gamma, layer_running_std, ...
          name: `${name}_w${i}:0`,
          shape: w.shape as number[],
          values: w.read().dataSync() as Float32Array,
        }));
        return { name, weights };
      });
      expect(layers.map((l) => l.name)).toEqual(expect.arrayContaining(['conv1', 'bn_conv1', 'res2a_branch2a', 'bn3a_branch1', 'embedding']));
      await writeKerasWeightsFile(file('legacy.h5'), layers);

      const result = await loadKerasWeights(target, file('legacy.h5'), { strict: true });
      expect(result.loaded).toEqual(weightedLayerNames(target));
      expect(outputOf(target)).toEqual(outputOf(source));
    } finally {
      source.dispose();
      target.dispose();
    }
  });

  it("fits ResNet-50 to a file in Keras' notop layout, layer for layer", async () => {
    // Keras' ResNet50 without top, written out from keras/applications/resnet.py (ResNet, stack1,
    // block1) rather than from resnet.ts: names, order and shapes of the real notop file.
    const layers = kerasResNet50NotopLayers();
    expect(layers).toHaveLength(106);
    expect(layers.reduce((n, l) => n + l.weights.reduce((m, w) => m + w.values.length, 0), 0)).toBe(23_587_712);
    await writeKerasWeightsFile(file('resnet50-notop.h5'), layers);

    // The embedding model: every file layer must find its layer, and only our head may lack weights.
    const model = buildEmbeddingModel(resolveEmbedderSpec({ architecture: 'resnet50', inputSize: 32 }));
    try {
      const result = await loadKerasWeights(model, file('resnet50-notop.h5'));
      expect(result).toMatchObject({ missing: ['embedding'], unexpected: [] });
      expect([...result.loaded].sort()).toEqual(layers.map((l) => l.name).sort());
      const bn = layers.find((l) => l.name === 'conv4_block6_3_bn')!;
      expect(weightsOf(model, 'conv4_block6_3_bn')).toEqual(bn.weights.map((w) => Array.from(w.values)));
    } finally {
      model.dispose();
    }
  });

  it("initialises runTraining's fresh model through its init hook, before the epoch-0 validation", async () => {
    const source = buildEmbeddingModel({ ...TINY, seed: 7 });
    try {
      perturb(source, 300);
      await saveKerasWeights(source, file('init.h5'));
      const expected = outputOf(source);
      let seen: number[] | undefined;
      let report: Awaited<ReturnType<typeof loadKerasWeights>> | undefined;
      await runTraining({
        kind: 'siamese',
        spec: TINY,
        items: [],
        loadImage: () => new Float32Array(32 * 32 * 3),
        epochs: 0,
        batchSize: 2,
        learningRate: 1e-3,
        margin: 1,
        positiveFraction: 0.5,
        seed: 1,
        outDir: file('run'),
        resume: false,
        init: async (model) => {
          report = await loadKerasWeights(model, file('init.h5'));
        },
        validate: async (model) => {
          seen = outputOf(model);
          return { map: 0 };
        },
      });
      expect(report?.missing).toEqual([]);
      expect(seen).toEqual(expected);
    } finally {
      source.dispose();
    }
  });

  it('rejects a file that is not HDF5, or missing, with a clear error', async () => {
    const target = buildEmbeddingModel(TINY);
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file('model.json'), JSON.stringify({ modelTopology: {} }));
      await expect(loadKerasWeights(target, file('model.json'))).rejects.toThrow(`${file('model.json')} is not an HDF5 file`);
      await expect(loadKerasWeights(target, file('absent.h5'))).rejects.toThrow(/Cannot read the Keras weights file .*absent\.h5: ENOENT/);
    } finally {
      target.dispose();
    }
  });
});

/** resnet.ts name -> the keras_applications/resnet50.py (Keras <= 2.2.4) name of the same layer. */
function legacyName(name: string): string {
  if (name === 'conv1_conv') return 'conv1';
  if (name === 'conv1_bn') return 'bn_conv1';
  const match = /^conv(\d)_block(\d+)_(\d)_(conv|bn)$/.exec(name);
  if (!match) return name;
  const [, stage, block, index, kind] = match;
  const letter = String.fromCharCode('a'.charCodeAt(0) + Number(block) - 1);
  return `${kind === 'conv' ? 'res' : 'bn'}${stage}${letter}_branch${['1', '2a', '2b', '2c'][Number(index)]}`;
}

function kerasResNet50NotopLayers(): KerasLayerValues[] {
  let fill = 0;
  const weight = (layer: string, name: string, shape: number[]) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = ((fill + i) % 101) / 101;
    fill++;
    return { name: `${layer}/${name}:0`, shape, values };
  };
  const conv = (name: string, kernel: number, inChannels: number, filters: number): KerasLayerValues => ({
    name,
    weights: [weight(name, 'kernel', [kernel, kernel, inChannels, filters]), weight(name, 'bias', [filters])],
  });
  const bn = (name: string, channels: number): KerasLayerValues => ({
    name,
    weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => weight(name, w, [channels])),
  });

  const layers = [conv('conv1_conv', 7, 3, 64), bn('conv1_bn', 64)];
  let channels = 64;
  const stacks: [number, number][] = [
    [64, 3],
    [128, 4],
    [256, 6],
    [512, 3],
  ];
  stacks.forEach(([filters, blocks], s) => {
    for (let b = 1; b <= blocks; b++) {
      const name = `conv${s + 2}_block${b}`;
      if (b === 1) layers.push(conv(`${name}_0_conv`, 1, channels, 4 * filters), bn(`${name}_0_bn`, 4 * filters));
      layers.push(
        conv(`${name}_1_conv`, 1, channels, filters),
        bn(`${name}_1_bn`, filters),
        conv(`${name}_2_conv`, 3, filters, filters),
        bn(`${name}_2_bn`, filters),
        conv(`${name}_3_conv`, 1, filters, 4 * filters),
        bn(`${name}_3_bn`, 4 * filters),
      );
      channels = 4 * filters;
    }
  });
  return layers;
}
