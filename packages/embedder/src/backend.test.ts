import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { BackendLoaders } from './backend.ts';

// Each test imports a fresh copy of backend.ts, so the once-per-process choice starts unmade;
// TF.js itself (and its global engine) stays shared.
async function freshBackendModule(): Promise<typeof import('./backend.ts')> {
  vi.resetModules();
  return import('./backend.ts');
}

const notInstalled: BackendLoaders = {
  async importModule(specifier) {
    if (specifier.startsWith('@tensorflow/tfjs-node')) throw new Error(`${specifier} is not installed`);
    return import(specifier);
  },
};

describe('initBackend', () => {
  afterAll(async () => {
    if (tf.findBackend('tensorflow') || tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
    await tf.setBackend('cpu');
  });

  it('uses the backend it is asked for', async () => {
    const { initBackend } = await freshBackendModule();
    await expect(initBackend('cpu')).resolves.toMatchObject({ name: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initBackend('wasm');
    expect(wasm.name).toBe('wasm');
    expect(wasm.detail).toMatch(/tfjs-backend-wasm/);
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.tensor1d([1, 2, 3]).square().dataSync()).toEqual(new Float32Array([1, 4, 9]));
  });

  it('is idempotent: later calls return the first choice', async () => {
    const { initBackend, activeBackendName } = await freshBackendModule();
    const first = await initBackend('cpu');
    await expect(initBackend()).resolves.toBe(first);
    await expect(initBackend('cpu')).resolves.toBe(first);
    await expect(initBackend(' CPU ')).resolves.toBe(first);
    expect(activeBackendName()).toBe('cpu');
  });

  it('picks wasm when tfjs-node is absent, and says why', async () => {
    const { initBackend } = await freshBackendModule();
    const choice = await initBackend('auto', notInstalled);
    expect(choice.name).toBe('wasm');
    expect(choice.detail).toMatch(/tensorflow-gpu unavailable .*tfjs-node-gpu is not installed/);
    expect(choice.detail).toMatch(/tensorflow unavailable/);
  });

  it('prefers an installed tfjs-node over wasm', async () => {
    const { initBackend } = await freshBackendModule();
    // Pose as tfjs-node: importing it registers a backend named "tensorflow".
    const fakeNode: BackendLoaders = {
      async importModule(specifier) {
        if (specifier === '@tensorflow/tfjs-node') {
          tf.registerBackend('tensorflow', () => new tf.MathBackendCPU());
          return { version: { 'tfjs-node': '4.22.0' } };
        }
        return notInstalled.importModule(specifier);
      },
    };
    const choice = await initBackend(undefined, fakeNode);
    expect(choice.name).toBe('tensorflow');
    expect(choice.detail).toMatch(/using tensorflow: @tensorflow\/tfjs-node 4\.22\.0/);
    expect(tf.getBackend()).toBe('tensorflow');
    tf.removeBackend('tensorflow');
    await initBackend('cpu');
  });

  it('rejects an unknown name clearly', async () => {
    const { initBackend } = await freshBackendModule();
    await expect(initBackend('cuda')).rejects.toThrow(
      'Unknown TF.js backend "cuda" (CBMIR_BACKEND); expected one of tensorflow-gpu, tensorflow, wasm, cpu or auto',
    );
  });

  it('rejects a forced backend that is not installed, and a retry can choose another', async () => {
    const { initBackend } = await freshBackendModule();
    await expect(initBackend('tensorflow-gpu', notInstalled)).rejects.toThrow(
      /TF\.js backend "tensorflow-gpu" was requested but is not available: .*not installed.*Install @tensorflow\/tfjs-node-gpu/,
    );
    await expect(initBackend('cpu')).resolves.toMatchObject({ name: 'cpu' });
  });

  it('reads CBMIR_BACKEND when no preference is passed', async () => {
    const { initBackend } = await freshBackendModule();
    vi.stubEnv('CBMIR_BACKEND', 'cpu');
    try {
      await expect(initBackend()).resolves.toMatchObject({ name: 'cpu' });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
