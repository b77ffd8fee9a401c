import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterWasmConfig } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputWasmConfig } from './conv2d-backprop-input.ts';

// Marks our kernel functions, across copies of this module (tests reload modules).
const OURS = Symbol.for('cbmir.embedder.wasmKernel');

/**
 * Makes the wasm backend fit for training. @tensorflow/tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter (we add one) and a slow Conv2DBackpropInput (we put a faster one in front
 * of it). Everything else a Siamese training step runs -- FusedBatchNorm and its gradient ops,
 * MaxPoolGrad, Adam's ops -- is present; training-ops.test.ts checks them against the cpu backend.
 * Safe to call repeatedly, before or after the wasm backend is initialised.
 */
export function registerWasmTrainingKernels(): void {
  if (!tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')) register(conv2dBackpropFilterWasmConfig);

  const input = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (!input || !isOurs(input)) {
    if (input) tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
    // Keep the built-in's setup: it still serves the cases ours hands back to it.
    register({ ...conv2dBackpropInputWasmConfig(input), ...(input?.setupFunc ? { setupFunc: input.setupFunc } : {}) });
  }
}

function register(config: tf.KernelConfig): void {
  Object.defineProperty(config.kernelFunc, OURS, { value: true });
  tf.registerKernel(config);
}

function isOurs(config: tf.KernelConfig): boolean {
  return (config.kernelFunc as unknown as Record<symbol, unknown>)[OURS] === true;
}

export { conv2dBackpropFilterWasmConfig, conv2dBackpropInputWasmConfig };
