import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../backend.ts';

/**
 * Test support: runs `compute` on the given backend and returns its tensors' values, so the wasm
 * results can be compared with the cpu backend, TF.js' reference implementation.
 */
export async function valuesOn(backend: BackendName, compute: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend(backend);
  const result = tf.tidy(compute);
  const tensors = Array.isArray(result) ? result : [result];
  try {
    return await Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  } finally {
    tf.dispose(tensors);
  }
}

/** ||a - b|| / max(||a||, tiny): a scale-free distance between two results. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
    norm += (a[i] ?? 0) ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
}

/** Deterministic values in [-1, 1] for a shape. */
export function fixture(shape: number[], salt: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.731 + salt * 2.17)),
    shape,
  );
}

/** A convolution to differentiate: input and filter shapes, strides, padding. */
export interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
}

/**
 * The shapes ResNet uses (7x7/2 stem, 1x1/2 projections, 3x3 same) and awkward ones: odd sizes, unequal
 * strides, asymmetric 'same' padding, explicit pads.
 */
export const CONV_CASES: readonly ConvCase[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [1, 9, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
  { x: [3, 6, 6, 8], filter: [1, 1, 8, 16], strides: 1, pad: 'valid' },
  { x: [3, 7, 7, 8], filter: [1, 1, 8, 16], strides: 2, pad: 'valid' },
  { x: [2, 22, 22, 3], filter: [7, 7, 3, 6], strides: 2, pad: 3 },
  { x: [1, 8, 9, 5], filter: [2, 3, 5, 2], strides: [2, 1], pad: 'same' },
  {
    x: [2, 5, 6, 3],
    filter: [3, 2, 3, 4],
    strides: [1, 2],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
];
