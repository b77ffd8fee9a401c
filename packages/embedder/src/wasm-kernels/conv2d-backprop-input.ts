import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { KernelRunner } from './kernel-runner.ts';

// XNNPACK re-packs a new filter on every call (~0.1 us per weight), which our rotated filter always
// is; the built-in loop costs ~1 ns per multiply-add. Per weight there are batch*height*width
// multiply-adds, so below this many positions (e.g. ResNet-50's 7x7 stage at batch 1) the built-in
// is faster.
const MIN_POSITIONS = 128;

type Args = { inputs: tf.Conv2DBackpropInputInputs; backend: BackendWasm; attrs: tf.Conv2DBackpropInputAttrs };

/**
 * A faster Conv2DBackpropInput (the input gradient of conv2d) for the wasm backend. Its built-in
 * kernel is a plain loop, about 9x the forward convolution for a ResNet-50 3x3 layer, which makes it
 * the largest cost of a training step. The input gradient is a forward convolution (run by XNNPACK):
 * of dy, spread out by the stride and padded by (filter - 1 - pad), with the filter rotated by 180
 * degrees and its channel axes swapped. Cases this does not cover, or where it is slower, go to the
 * built-in kernel.
 */
export function conv2dBackpropInputWasmConfig(builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: ((args: Args) => conv2dBackpropInput(args, builtIn)) as unknown as tf.KernelFunc,
  };
}

function conv2dBackpropInput(args: Args, builtIn: tf.KernelConfig | undefined): tf.TensorInfo {
  const { backend, attrs } = args;
  const dy = args.inputs.dy as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const padTop = filterHeight - 1 - info.padInfo.top;
  const padLeft = filterWidth - 1 - info.padInfo.left;
  const supported =
    dataFormat === 'NHWC' &&
    dy.dtype === 'float32' &&
    filter.dtype === 'float32' &&
    padTop >= 0 &&
    padLeft >= 0 &&
    batchSize * inHeight * inWidth >= MIN_POSITIONS;
  if (!supported) {
    if (!builtIn) throw new Error('Conv2DBackpropInput on wasm: unsupported arguments and no built-in kernel');
    return builtIn.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }

  const ops = new KernelRunner(backend);
  try {
    // dy placed every stride-th pixel on a zero canvas with room for a 'valid' convolution back to
    // the input size; rows the forward pass never reached stay zero, rows beyond are cut.
    const canvasHeight = inHeight + filterHeight - 1;
    const canvasWidth = inWidth + filterWidth - 1;
    const direct = strideHeight === 1 && strideWidth === 1 && padTop === 0 && padLeft === 0 && outHeight === canvasHeight && outWidth === canvasWidth;
    const canvas = direct ? dy : ops.allocate([batchSize, canvasHeight, canvasWidth, outChannels]);
    // The filter [kh, kw, C, O] rotated and swapped to [kh, kw, O, C].
    const rotated = ops.allocate([filterHeight, filterWidth, outChannels, inChannels]);

    // Heap views only after the allocations, which may grow (and so detach) the heap.
    const w = ops.view(filter);
    const r = ops.view(rotated);
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const from = ((filterHeight - 1 - kh) * filterWidth + (filterWidth - 1 - kw)) * inChannels * outChannels;
        const to = (kh * filterWidth + kw) * outChannels * inChannels;
        for (let c = 0; c < inChannels; c++) {
          for (let o = 0; o < outChannels; o++) r[to + o * inChannels + c] = w[from + c * outChannels + o] as number;
        }
      }
    }
    if (!direct) {
      const source = ops.view(dy);
      const target = ops.view(canvas);
      target.fill(0);
      for (let n = 0; n < batchSize; n++) {
        for (let i = 0; i < outHeight; i++) {
          const row = padTop + i * strideHeight;
          if (row >= canvasHeight) break;
          for (let j = 0; j < outWidth; j++) {
            const col = padLeft + j * strideWidth;
            if (col >= canvasWidth) break;
            const from = ((n * outHeight + i) * outWidth + j) * outChannels;
            target.set(source.subarray(from, from + outChannels), ((n * canvasHeight + row) * canvasWidth + col) * outChannels);
          }
        }
      }
    }
    const dx = ops.run(tf.Conv2D, { x: canvas, filter: rotated }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
    return ops.keep(dx);
  } finally {
    ops.disposeTemporaries();
  }
}
