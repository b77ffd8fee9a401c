import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKerasWeightsFile, writeKerasWeightsFile, type KerasLayerValues } from './keras-weights-file.ts';

const LAYERS: KerasLayerValues[] = [
  { name: 'conv1_pad', weights: [] },
  {
    name: 'conv1_conv',
    weights: [
      { name: 'conv1_conv/kernel:0', shape: [1, 1, 3, 2], values: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'conv1_conv/bias:0', shape: [2], values: Float32Array.from([0.5, -0.5]) },
    ],
  },
];

describe('Keras HDF5 weight files', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cbmir-keras-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes Keras' layout: layer_names at the root, weight_names per layer, datasets nested by weight name", async () => {
    await writeKerasWeightsFile(file('layout.h5'), LAYERS);
    const h5 = await import('h5wasm/node');
    const f = new h5.File(file('layout.h5'), 'r');
    try {
      expect(f.attrs.layer_names?.value).toEqual(['conv1_pad', 'conv1_conv']);
      expect(f.attrs.layer_names?.dtype).toBe('S10');
      expect(f.attrs.backend?.value).toBe('tensorflow');
      const conv = f.get('conv1_conv') as InstanceType<typeof h5.Group>;
      expect(conv.attrs.weight_names?.value).toEqual(['conv1_conv/kernel:0', 'conv1_conv/bias:0']);
      const kernel = f.get('conv1_conv/conv1_conv/kernel:0') as InstanceType<typeof h5.Dataset>;
      expect(kernel.shape).toEqual([1, 1, 3, 2]);
      expect(kernel.dtype).toBe('<f');
      expect(Array.from(kernel.value as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((f.get('conv1_pad') as InstanceType<typeof h5.Group>).attrs.weight_names?.value).toEqual(new Float64Array(0));
    } finally {
      f.close();
    }
  });

  it('lists the layers with weights and reads their values', async () => {
    await writeKerasWeightsFile(file('read.h5'), LAYERS);
    const reader = await openKerasWeightsFile(file('read.h5'));
    try {
      expect(reader.kerasVersion).toMatch(/^2\./);
      expect(reader.layers).toEqual([
        {
          name: 'conv1_conv',
          weights: [
            { name: 'conv1_conv/kernel:0', shape: [1, 1, 3, 2] },
            { name: 'conv1_conv/bias:0', shape: [2] },
          ],
        },
      ]);
      expect(reader.read('conv1_conv')).toEqual([LAYERS[1]!.weights[0]!.values, LAYERS[1]!.weights[1]!.values]);
      expect(() => reader.read('conv1_pad')).toThrow(/no weights for a layer named conv1_pad/);
    } finally {
      reader.close();
    }
  });

  it('finds weights stored directly under the layer group, and name lists Keras split into chunks', async () => {
    const h5 = await import('h5wasm/node');
    const f = new h5.File(file('variants.h5'), 'w');
    f.create_attribute('layer_names0', ['dense'], null, 'S5');
    f.create_attribute('layer_names1', ['dense_1'], null, 'S7');
    for (const name of ['dense', 'dense_1']) {
      const group = f.create_group(name);
      group.create_attribute('weight_names', ['kernel:0'], null, 'S8');
      group.create_dataset({ name: 'kernel:0', data: Float64Array.from([1, 2]), shape: [1, 2] });
    }
    f.close();

    const reader = await openKerasWeightsFile(file('variants.h5'));
    try {
      expect(reader.layers.map((l) => l.name)).toEqual(['dense', 'dense_1']);
      expect(reader.read('dense_1')).toEqual([Float32Array.from([1, 2])]);
    } finally {
      reader.close();
    }
  });

  it('says so when an HDF5 file is not in Keras layout', async () => {
    const h5 = await import('h5wasm/node');
    const f = new h5.File(file('plain.h5'), 'w');
    f.create_dataset({ name: 'data', data: Float32Array.from([1]), shape: [1] });
    f.close();
    await expect(openKerasWeightsFile(file('plain.h5'))).rejects.toThrow(/plain\.h5 is HDF5 but not Keras weights: it has no layer_names attribute/);
  });

  it('says so when a listed weight is not stored', async () => {
    const h5 = await import('h5wasm/node');
    const f = new h5.File(file('broken.h5'), 'w');
    f.create_attribute('layer_names', ['dense'], null, 'S5');
    f.create_group('dense').create_attribute('weight_names', ['dense/kernel:0'], null, 'S14');
    f.close();
    await expect(openKerasWeightsFile(file('broken.h5'))).rejects.toThrow(
      /weight dense\/kernel:0 of layer dense is listed in its weight_names but not stored under \/dense/,
    );
  });
});
