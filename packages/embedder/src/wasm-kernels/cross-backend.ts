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
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.731 + salt * 2.17)), shape);
}
