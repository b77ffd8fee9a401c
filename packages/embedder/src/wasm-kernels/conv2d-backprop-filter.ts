import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Conv2DBackpropFilter (the weight gradient of conv2d) for the wasm backend, which ships without it,
 * so that training on wasm fails with "kernel not registered".
 *
 * dW[kh, kw, :, :] = patch(kh, kw)^T . dy, where patch(kh, kw) is the padded input sampled at the
 * output positions shifted by (kh, kw): [M, C] with M = batch*outH*outW. Instead of scalar JS loops
 * we compose the backend's own PadV2, StridedSlice, Reshape, Transpose and BatchMatMul kernels, so
 * the arithmetic runs in wasm. BatchMatMul is only fast (XNNPACK) without transpose flags, so dy is
 * transposed once and each block is computed as dy^T . patch = [O, C], then transposed while copied
 * into place (a 1x1 convolution is a single product).
 */
export const conv2dBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};

function conv2dBackpropFilter(args: {
  inputs: tf.Conv2DBackpropFilterInputs;
  backend: BackendWasm;
  attrs: tf.Conv2DBackpropFilterAttrs;
}): tf.TensorInfo {
  const { backend, attrs } = args;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error('Conv2DBackpropFilter on wasm supports float32 only');
  }
  // Gradients of dilated convs are rejected by TF.js itself, hence dilation 1 (as the cpu kernel).
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Pad only as far as the sampled positions reach (TF.js' own bottom/right may differ by rounding).
  const bottom = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - top - inHeight);
  const right = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - left - inWidth);

  const temps: tf.TensorInfo[] = [];
  const run = (kernelName: string, inputs: tf.NamedTensorInfoMap, kernelAttrs: object): tf.TensorInfo => {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`wasm backend lacks the ${kernelName} kernel`);
    const out = kernel.kernelFunc({ inputs, backend, attrs: kernelAttrs as tf.NamedAttrMap }) as tf.TensorInfo;
    temps.push(out);
    return out;
  };

  const output = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  try {
    const m = batchSize * outHeight * outWidth;
    const padded =
      top || left || bottom || right
        ? run(tf.PadV2, { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 })
        : x;
    const dy2d = run(tf.Reshape, { x: dy }, { shape: [m, outChannels] });
    const dyT2d = run(tf.Transpose, { x: dy2d }, { perm: [1, 0] });
    const dyT = run(tf.Reshape, { x: dyT2d }, { shape: [1, outChannels, m] });
    const blockSize = inChannels * outChannels;
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const mark = temps.length;
        const patch = run(
          tf.StridedSlice,
          { x: padded },
          {
            begin: [0, kh, kw, 0],
            end: [batchSize, kh + (outHeight - 1) * strideHeight + 1, kw + (outWidth - 1) * strideWidth + 1, inChannels],
            strides: [1, strideHeight, strideWidth, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        );
        const patch2d = run(tf.Reshape, { x: patch }, { shape: [1, m, inChannels] });
        const block = run(tf.BatchMatMul, { a: dyT, b: patch2d }, { transposeA: false, transposeB: false }); // [1, O, C]
        // Views into the wasm heap go stale when it grows, so take them only now that all
        // allocations for this block are done.
        const source = backend.typedArrayFromHeap(block);
        const target = backend.typedArrayFromHeap(output);
        const offset = (kh * filterWidth + kw) * blockSize;
        for (let o = 0; o < outChannels; o++) {
          for (let c = 0; c < inChannels; c++) target[offset + c * outChannels + o] = source[o * inChannels + c] as number;
        }
        for (const t of temps.splice(mark)) backend.disposeData(t.dataId);
      }
    }
  } catch (error) {
    backend.disposeData(output.dataId);
    throw error;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
  return output;
}
