import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { loadOptimizerState, saveOptimizerState } from './optimizer-state.ts';

const dir = mkdtempSync(join(tmpdir(), 'cbmir-optimizer-'));
beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A few Adam steps on a quadratic bowl; returns the variable's values after them. */
async function steps(optimizer: tf.Optimizer, variable: tf.Variable, n: number): Promise<Float32Array> {
  const target = tf.tensor1d([3, -2, 0.5]);
  for (let i = 0; i < n; i++) optimizer.minimize(() => tf.sum(tf.square(tf.sub(variable, target))) as tf.Scalar, false, [variable]);
  target.dispose();
  return (await variable.data()) as Float32Array;
}

describe('optimizer state', () => {
  it('resumes Adam exactly where it stopped: same moments, same step count, same next update', async () => {
    const straight = tf.variable(tf.tensor1d([0, 0, 0]));
    const straightAdam = tf.train.adam(0.1);
    const expected = await steps(straightAdam, straight, 6);

    const first = tf.variable(tf.tensor1d([0, 0, 0]));
    const firstAdam = tf.train.adam(0.1);
    await steps(firstAdam, first, 3);
    await saveOptimizerState(dir, firstAdam);
    const resumedAdam = tf.train.adam(0.1);
    expect(await loadOptimizerState(dir, resumedAdam)).toBe(true);
    const resumed = await steps(resumedAdam, first, 3);
    Array.from(resumed).forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));

    // without the state, Adam restarts its moments and lands elsewhere
    const restarted = tf.variable(tf.tensor1d([0, 0, 0]));
    const restartedAdam = tf.train.adam(0.1);
    await steps(restartedAdam, restarted, 3);
    const fresh = await steps(tf.train.adam(0.1), restarted, 3);
    expect(Math.max(...Array.from(fresh).map((v, i) => Math.abs(v - expected[i]!)))).toBeGreaterThan(1e-3);
  });

  it('says when there is nothing to load and refuses another optimiser’s state', async () => {
    expect(await loadOptimizerState(join(dir, 'missing'), tf.train.adam(0.1))).toBe(false);
    await expect(loadOptimizerState(dir, tf.train.sgd(0.1))).rejects.toThrow(/Adam state, but training uses SGD/);
  });
});
