import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { backboneFeatureDim, buildResNet } from './resnet.ts';

const sizeOf = (w: tf.LayerVariable): number => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);

describe('buildResNet', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  describe('resnet50 (the paper)', () => {
    let model: tf.LayersModel;
    beforeAll(() => {
      model = buildResNet({ architecture: 'resnet50', inputSize: 224, seed: 42 });
    });
    afterAll(() => model.dispose());

    it('has bottleneck stages of 3, 4, 6 and 3 blocks', () => {
      const blocks = new Map<string, number>();
      for (const layer of model.layers) {
        const match = /^(conv[2-5])_block\d+_3_conv$/.exec(layer.name);
        if (match?.[1]) blocks.set(match[1], (blocks.get(match[1]) ?? 0) + 1);
      }
      expect(Object.fromEntries(blocks)).toEqual({ conv2: 3, conv3: 4, conv4: 6, conv5: 3 });

      // A bottleneck: 1x1 reduce, 3x3, 1x1 expand to 4x the width; projection shortcut on block 1.
      const config = (name: string) => model.getLayer(name).getConfig();
      expect(config('conv4_block1_1_conv')).toMatchObject({ kernelSize: [1, 1], filters: 256, strides: [2, 2] });
      expect(config('conv4_block1_2_conv')).toMatchObject({ kernelSize: [3, 3], filters: 256, strides: [1, 1] });
      expect(config('conv4_block1_3_conv')).toMatchObject({ kernelSize: [1, 1], filters: 1024 });
      expect(config('conv4_block1_0_conv')).toMatchObject({ kernelSize: [1, 1], filters: 1024, strides: [2, 2] });
      expect(model.layers.some((l) => l.name === 'conv4_block2_0_conv')).toBe(false);
    });

    it('uses Keras ResNet50 layer names, so ImageNet weights can be matched by name', () => {
      const names = new Set(model.layers.map((l) => l.name));
      for (const name of ['conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool']) {
        expect(names).toContain(name);
      }
      for (const suffix of ['0_conv', '0_bn', '1_conv', '1_bn', '1_relu', '2_conv', '2_bn', '2_relu', '3_conv', '3_bn', 'add', 'out']) {
        expect(names).toContain(`conv2_block1_${suffix}`);
      }
      expect(model.getWeights().length).toBeGreaterThan(0);
      expect(
        model
          .getLayer('conv1_conv')
          .getWeights()
          .map((w) => w.shape),
      ).toEqual([[7, 7, 3, 64], [64]]);
    });

    it('has the ~23.5M parameters of Keras ResNet50 without its top', () => {
      expect(model.countParams()).toBe(23_587_712);
      expect(model.trainableWeights.reduce((n, w) => n + sizeOf(w), 0)).toBe(23_534_592);
    });

    it('ends in global average pooling to 2048 features', () => {
      const last = model.layers[model.layers.length - 1];
      expect(last?.getClassName()).toBe('GlobalAveragePooling2D');
      expect(last?.name).toBe('avg_pool');
      expect(model.outputs[0]?.shape).toEqual([null, 2048]);
      expect(model.getLayer('conv5_block3_out').outputShape).toEqual([null, 7, 7, 2048]);
      expect(backboneFeatureDim('resnet50')).toBe(2048);
    });
  });

  it("reads Keras' caffe input through a fixed first layer: 0-255, BGR, minus the ImageNet means", async () => {
    const model = buildResNet({ architecture: 'resnet-tiny', inputSize: 16, seed: 1, inputConvention: 'caffe' });
    try {
      const adapter = model.getLayer('input_caffe');
      expect(adapter.trainable).toBe(false);
      expect(model.trainableWeights.some((w) => w.originalName.startsWith('input_caffe'))).toBe(false);
      const view = tf.model({ inputs: model.inputs, outputs: adapter.output as tf.SymbolicTensor });
      // every pixel RGB (1, 0, -1), i.e. (255, 127.5, 0) before scaling
      const input = tf.tile(tf.tensor4d([1, 0, -1], [1, 1, 1, 3]), [1, 16, 16, 1]);
      const out = view.predict(input) as tf.Tensor;
      const pixel = Array.from((await out.data()).slice(0, 3));
      [0 - 103.939, 127.5 - 116.779, 255 - 123.68].forEach((expected, c) => expect(pixel[c]).toBeCloseTo(expected, 3));
      tf.dispose([input, out]);
    } finally {
      model.dispose();
    }
  });

  it('builds the basic-block networks', () => {
    const r18 = buildResNet({ architecture: 'resnet18', inputSize: 64, seed: 1 });
    const blocks = r18.layers.filter((l) => /_block\d+_add$/.test(l.name)).length;
    expect(blocks).toBe(8);
    expect(r18.outputs[0]?.shape).toEqual([null, 512]);
    r18.dispose();

    const tiny = buildResNet({ architecture: 'resnet-tiny', inputSize: 32, seed: 1 });
    expect(tiny.outputs[0]?.shape).toEqual([null, backboneFeatureDim('resnet-tiny')]);
    expect(tiny.countParams()).toBeLessThan(200_000);
    tiny.dispose();
  });
});
