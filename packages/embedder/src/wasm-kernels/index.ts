import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterWasmConfig } from './conv2d-backprop-filter.ts';

// Kernels that training needs and @tensorflow/tfjs-backend-wasm 4.22 lacks. Everything else the
// Siamese training step runs (FusedBatchNorm and its gradient ops, MaxPoolGrad, Conv2DBackpropInput,
// Adam's ops) is present; wasm-kernels.test.ts checks a whole training gradient against cpu.
const KERNELS: readonly tf.KernelConfig[] = [conv2dBackpropFilterWasmConfig];

/** Registers our wasm training kernels; safe to call repeatedly, and keeps any built-in kernel. */
export function registerWasmTrainingKernels(): void {
  for (const config of KERNELS) {
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  }
}

export { conv2dBackpropFilterWasmConfig };
