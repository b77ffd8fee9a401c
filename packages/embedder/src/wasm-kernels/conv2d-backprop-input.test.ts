import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CONV_CASES, fixture, relativeError, valuesOn, type ConvCase } from './cross-backend.ts';
import { registerWasmTrainingKernels } from './index.ts';

const CASES: ConvCase[] = [
  ...CONV_CASES,
  // padding wider than the filter: handed back to the built-in kernel
  { x: [1, 5, 5, 2], filter: [1, 1, 2, 3], strides: 1, pad: 2 },
];

describe('Conv2DBackpropInput on wasm', () => {
  it('is ours, registered once however often registration runs', async () => {
    await valuesOn('wasm', () => tf.zeros([1]));
    const ours = tf.getKernel(tf.Conv2DBackpropInput, 'wasm')?.kernelFunc;
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')?.kernelFunc).toBe(ours);
    expect(Object.getOwnPropertySymbols(ours)).toContain(Symbol.for('cbmir.embedder.wasmKernel'));
  });

  it.each(CASES)('matches the cpu kernel for x $x, filter $filter, strides $strides, pad $pad', async (c) => {
    const compute = () => {
      const x = fixture(c.x, 1) as tf.Tensor4D;
      const filter = fixture(c.filter, 2) as tf.Tensor4D;
      const dy = fixture(tf.conv2d(x, filter, c.strides, c.pad).shape, 3) as tf.Tensor4D;
      return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(t as tf.Tensor4D, filter, c.strides, c.pad), dy)))(x)];
    };
    const cpu = await valuesOn('cpu', compute);
    const wasm = await valuesOn('wasm', compute);
    expect(wasm[0]).toHaveLength(c.x.reduce((a, b) => a * b, 1));
    expect(relativeError(cpu[0]!, wasm[0]!)).toBeLessThan(1e-5);
  });
});
