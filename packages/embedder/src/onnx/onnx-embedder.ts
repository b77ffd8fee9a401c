import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { assertBatchSize, embedInBatches } from '../embed-inputs.ts';
import { DEFAULT_EMBED_BATCH_SIZE, type EmbedOptions, type InferenceEmbedder } from '../embedding-model.ts';
import type { EmbedderSpec } from '../model-spec.ts';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export-onnx.ts';

export interface OnnxEmbedderOptions {
  /** images per session run; default 16 */
  batchSize?: number;
  /** 'auto': the CUDA execution provider where it is installed, else CPU; 'cpu': CPU only */
  provider?: 'auto' | 'cpu';
  /** ONNX Runtime's intra-op threads; default: one per physical core */
  threads?: number;
  /**
   * The graph output to read; default `embedding`, the first one. Models of the PyTorch trainer have more
   * (a supervised baseline's `pooled` and `probabilities`, for `cbmir eval --layers`): reading one gives an
   * embedder whose spec.embeddingDim is that output's width.
   */
  output?: string;
}

export interface OnnxEmbedder extends InferenceEmbedder {
  readonly engine: 'onnxruntime-cpu' | 'onnxruntime-cuda';
  /** every output of the graph with its width (null where the file does not fix it) */
  readonly outputs: Readonly<Record<string, number | null>>;
  /** onnxruntime-node version and why a faster provider was not used, for the start-up log */
  readonly detail: string;
}

/**
 * Whether onnxruntime-node (an optional dependency) is installed. Loading its native binding can still
 * fail; loadOnnxEmbedder reports that.
 */
export function onnxRuntimeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

// Messages from onnx-session-worker.mjs.
type WorkerReply =
  | {
      type: 'ready';
      provider: 'cpu' | 'cuda';
      notes: string[];
      inputShape: Array<number | string> | null;
      outputShape: Array<number | string> | null;
      outputShapes: Record<string, Array<number | string> | null>;
      version: string;
    }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; data: Float32Array; dims: number[] }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; message: string };

/**
 * Serves a model.onnx written by exportOnnx with ONNX Runtime, in a worker thread of its own (a run
 * blocks the thread it is called on). `spec` is the embedder's spec; the file's input and output shapes
 * must agree with it.
 */
export async function loadOnnxEmbedder(file: string, spec: EmbedderSpec, options: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
  const batchSize = options.batchSize ?? DEFAULT_EMBED_BATCH_SIZE;
  assertBatchSize(batchSize);
  if (!onnxRuntimeInstalled()) throw new Error('onnxruntime-node is not installed');
  const worker = new Worker(new URL('./onnx-session-worker.mjs', import.meta.url), {
    workerData: { file, provider: options.provider ?? 'auto', threads: options.threads },
  });
  const ready = await new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
    const fail = (error: Error) => {
      void worker.terminate();
      reject(new Error(`ONNX Runtime could not open ${file}: ${error.message}`, { cause: error }));
    };
    worker.once('error', fail);
    worker.once('message', (reply: WorkerReply) => {
      worker.off('error', fail);
      if (reply.type === 'ready') resolve(reply);
      else fail(new Error(reply.type === 'failed' ? reply.message : `unexpected ${reply.type} message`));
    });
  });
  const { inputSize, embeddingDim } = spec;
  const output = options.output ?? ONNX_OUTPUT_NAME;
  const [, h, w, c] = ready.inputShape ?? [];
  if (!(output in (ready.outputShapes ?? {}))) {
    await worker.terminate();
    throw new Error(`${file} has no output "${output}" (it has: ${Object.keys(ready.outputShapes ?? {}).join(', ')})`);
  }
  const [, d] = ready.outputShapes[output] ?? [];
  const isDefault = output === ONNX_OUTPUT_NAME;
  if (h !== inputSize || w !== inputSize || c !== 3 || (isDefault ? d !== embeddingDim : typeof d !== 'number')) {
    await worker.terminate();
    throw new Error(
      `${file} takes [${ready.inputShape?.join(', ')}] -> ${output} [${ready.outputShapes[output]?.join(', ')}], ` +
        `but the model's spec says ${inputSize} px -> ${embeddingDim}`,
    );
  }
  const engine = ready.provider === 'cuda' ? 'onnxruntime-cuda' : 'onnxruntime-cpu';
  const detail = [`onnxruntime-node ${ready.version}, ${ready.provider.toUpperCase()} execution provider`, ...ready.notes].join('; ');
  const outputSpec = isDefault ? spec : { ...spec, embeddingDim: d as number };
  const outputs = Object.fromEntries(Object.entries(ready.outputShapes).map(([name, shape]) => [name, typeof shape?.[1] === 'number' ? shape[1] : null]));
  return new WorkerOnnxEmbedder(worker, outputSpec, engine, detail, batchSize, output, outputs);
}

class WorkerOnnxEmbedder implements OnnxEmbedder {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  private broken: Error | undefined;
  private disposed = false;

  constructor(
    private readonly worker: Worker,
    readonly spec: EmbedderSpec,
    readonly engine: 'onnxruntime-cpu' | 'onnxruntime-cuda',
    readonly detail: string,
    private readonly defaultBatchSize: number,
    private readonly outputName: string,
    readonly outputs: Readonly<Record<string, number | null>>,
  ) {
    worker.on('message', (reply: WorkerReply) => {
      if (!('id' in reply)) return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.type === 'error') waiter?.reject(new Error(`ONNX Runtime: ${reply.message}`));
      else waiter?.resolve(reply);
      this.updateRef();
    });
    const fail = (error: Error) => {
      this.broken = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new Error(`the ONNX Runtime worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => fail(new Error(`the ONNX Runtime worker exited (code ${code})`)));
    this.updateRef();
  }

  async embed(images: Float32Array[], options?: EmbedOptions): Promise<Float32Array[]> {
    this.assertUsable();
    const { inputSize } = this.spec;
    return embedInBatches(images, this.spec, options?.batchSize ?? this.defaultBatchSize, async (data, count) => {
      const reply = await this.request({ type: 'run', data, dims: [count, inputSize, inputSize, 3], inputName: ONNX_INPUT_NAME, outputName: this.outputName }, [
        data.buffer,
      ]);
      if (reply.type !== 'result') throw new Error(`ONNX Runtime: unexpected ${reply.type} reply`);
      return reply.data;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Release the session in the worker, then end the thread; runs already sent finish first.
    void this.request({ type: 'close' })
      .catch(() => undefined)
      .finally(() => void this.worker.terminate());
  }

  private request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.updateRef();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** An idle worker must not keep the process alive; one with work in flight must. */
  private updateRef(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('This embedder has been disposed');
    if (this.broken) throw this.broken;
  }
}
