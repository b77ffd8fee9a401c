import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { contrastiveLoss } from './contrastive-loss.ts';

function loss(distances: number[], same: number[], margin?: number): number {
  return tf.tidy(() => contrastiveLoss(tf.tensor1d(distances), tf.tensor1d(same), margin).dataSync()[0] ?? NaN);
}

describe('contrastiveLoss', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('pulls same-grade pairs together: 1/2 D^2', () => {
    expect(loss([0], [1])).toBe(0);
    expect(loss([2], [1])).toBeCloseTo(2, 6); // 0.5 * 4
    expect(loss([0.5], [1], 10)).toBeCloseTo(0.125, 6); // the margin plays no part
  });

  it('pushes different-grade pairs out to the margin: 1/2 max(0, m - D)^2', () => {
    expect(loss([0], [0])).toBeCloseTo(0.5, 6); // 0.5 * 1^2
    expect(loss([0.25], [0], 2)).toBeCloseTo(0.5 * 1.75 ** 2, 6);
    expect(loss([3], [0], 2)).toBe(0); // beyond the margin
  });

  it('is zero for a different-grade pair exactly at the margin, with zero gradient there', () => {
    expect(loss([2], [0], 2)).toBe(0);
    const grad = tf.grad((d: tf.Tensor) => contrastiveLoss(d as tf.Tensor1D, tf.tensor1d([0]), 2));
    expect(grad(tf.tensor1d([2])).dataSync()[0]).toBeCloseTo(0, 6);
    expect(grad(tf.tensor1d([1.5])).dataSync()[0]).toBeCloseTo(-0.5, 6); // -(m - D)
  });

  it('averages over the batch', () => {
    // (0.5*1 + 0.5*(1-0.25)^2 + 0 + 0.5*0.04) / 4
    const expected = (0.5 + 0.5 * 0.5625 + 0 + 0.02) / 4;
    expect(loss([1, 0.25, 1.5, 0.2], [1, 0, 0, 1])).toBeCloseTo(expected, 6);
  });

  it('rejects mismatched inputs and a non-positive margin', () => {
    expect(() => loss([1, 2], [1])).toThrow(/2 distances but 1 labels/);
    expect(() => loss([1], [1], 0)).toThrow(/margin must be positive/);
  });
});
