import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Calls wasm kernels directly (as the backend's own composite kernels do) and frees what they made. */
export class KernelRunner {
  private readonly temporaries: tf.TensorInfo[] = [];

  constructor(private readonly backend: BackendWasm) {}

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: object): tf.TensorInfo {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`The wasm backend lacks the ${kernelName} kernel`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    this.temporaries.push(out);
    return out;
  }

  /** A new float32 tensor on the wasm heap, freed with the temporaries unless kept. */
  allocate(shape: number[]): tf.TensorInfo {
    const out = this.backend.makeOutput(shape, 'float32');
    this.temporaries.push(out);
    return out;
  }

  view(t: tf.TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  /** Takes `result` out of the temporaries: the engine owns it from now on. */
  keep(result: tf.TensorInfo): tf.TensorInfo {
    const index = this.temporaries.indexOf(result);
    if (index >= 0) {
      this.temporaries.splice(index, 1);
    } else {
      // An input passed through unchanged: hand out a new reference, not the caller's.
      this.backend.incRef(result.dataId);
    }
    return result;
  }

  disposeTemporaries(): void {
    for (const t of this.temporaries.splice(0)) this.backend.disposeData(t.dataId);
  }
}
