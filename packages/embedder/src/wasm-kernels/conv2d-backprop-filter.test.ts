import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fixture, relativeError, valuesOn } from './cross-backend.ts';

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
}

// The shapes ResNet uses (7x7/2 stem, 1x1/2 projections, 3x3 same) and awkward ones: odd sizes,
// unequal strides, asymmetric 'same' padding, explicit pads.
const CASES: Case[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [1, 9, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
  { x: [3, 6, 6, 8], filter: [1, 1, 8, 16], strides: 1, pad: 'valid' },
  { x: [3, 7, 7, 8], filter: [1, 1, 8, 16], strides: 2, pad: 'valid' },
  { x: [2, 22, 22, 3], filter: [7, 7, 3, 6], strides: 2, pad: 3 },
  { x: [1, 8, 9, 5], filter: [2, 3, 5, 2], strides: [2, 1], pad: 'same' },
  { x: [2, 5, 6, 3], filter: [3, 2, 3, 4], strides: [1, 2], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [1, 4, 4, 1], filter: [4, 4, 1, 1], strides: 1, pad: 'valid' },
];

describe('Conv2DBackpropFilter on wasm', () => {
  it.each(CASES)('matches the cpu kernel for x $x, filter $filter, strides $strides, pad $pad', async (c) => {
    const [, , , outChannels] = c.filter;
    // dy has conv2d's output shape; get it from a forward pass.
    const compute = () => {
      const x = fixture(c.x, 1) as tf.Tensor4D;
      const filter = fixture(c.filter, 2) as tf.Tensor4D;
      const yShape = tf.conv2d(x, filter, c.strides, c.pad).shape;
      const dy = fixture(yShape, 3) as tf.Tensor4D;
      const kernel = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides: c.strides,
        pad: c.pad,
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
        filterShape: c.filter,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      // and the path training takes: the gradient of conv2d with respect to its filter
      const viaGrad = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, c.strides, c.pad), dy)))(filter);
      return [kernel, viaGrad];
    };
    const cpu = await valuesOn('cpu', compute);
    const wasm = await valuesOn('wasm', compute);
    expect(tf.getBackend()).toBe('wasm');
    expect(wasm[0]).toHaveLength(c.filter.reduce((a, b) => a * b, 1));
    expect(outChannels).toBeGreaterThan(0);
    for (let i = 0; i < 2; i++) expect(relativeError(cpu[i]!, wasm[i]!)).toBeLessThan(1e-5);
  });

  it('frees its temporaries', async () => {
    await valuesOn('wasm', () => tf.zeros([1]));
    const x = fixture([2, 9, 9, 4], 1) as tf.Tensor4D;
    const dy = fixture([2, 5, 5, 6], 2) as tf.Tensor4D;
    const run = () =>
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides: 2,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, 4, 6],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    run().dispose();
    const before = tf.memory();
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    run().dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(backend.numDataIds()).toBe(ids);
    tf.dispose([x, dy]);
  });
});
