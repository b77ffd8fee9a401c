import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CONV_CASES, fixture, relativeError, valuesOn, type ConvCase } from './cross-backend.ts';

const CASES: ConvCase[] = [...CONV_CASES, { x: [1, 4, 4, 1], filter: [4, 4, 1, 1], strides: 1, pad: 'valid' }];

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
