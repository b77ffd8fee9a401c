// ONNX Runtime session in a worker thread: onnxruntime-node runs a session synchronously on the thread
// that calls run(), so on the main thread a 16-image ResNet-50 batch would stall the event loop (HTTP,
// database, preprocessing) for about a second. Plain JavaScript, not TypeScript, because a worker does not
// inherit the TypeScript loader under every runner (vitest). Messages are described in onnx-embedder.ts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

/** @type {import('onnxruntime-node').InferenceSession | undefined} */
let session;

/** CUDA only where its provider library was installed (the package's install script, run by hand). */
function cudaInstalled() {
  const binDir = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(path.join(binDir, 'libonnxruntime_providers_cuda.so')) || existsSync(path.join(binDir, 'onnxruntime_providers_cuda.dll'));
}

async function open({ file, provider, threads }) {
  // Spinning off: ONNX Runtime's threads otherwise busy-wait after each run, taking the cores from the image
  // decoding and preprocessing of the next queries. Measured with `pnpm bench search` (ResNet-50, 10 MP
  // photographs, 2 cores, three rounds each): concurrency 4 rose from 12.8-13.5 to 13.9-14.7 queries/s,
  // concurrency 1 stayed at 72-79 ms p50; `pnpm bench embed` alone is unchanged (33.5 against 33.6 images/s).
  const options = {
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const notes = [];
  if (provider !== 'cpu' && cudaInstalled()) {
    try {
      session = await ort.InferenceSession.create(file, { ...options, executionProviders: ['cuda', 'cpu'] });
      return { provider: 'cuda', notes };
    } catch (error) {
      notes.push(`CUDA execution provider failed (${error instanceof Error ? error.message : String(error)}); using CPU`);
    }
  } else if (provider !== 'cpu') {
    notes.push('CUDA execution provider not installed');
  }
  session = await ort.InferenceSession.create(file, { ...options, executionProviders: ['cpu'] });
  return { provider: 'cpu', notes };
}

parentPort.on('message', async (message) => {
  try {
    if (message.type === 'run') {
      if (!session) throw new Error('the ONNX session is not open');
      const input = new ort.Tensor('float32', message.data, message.dims);
      const outputs = await session.run({ [message.inputName]: input });
      const output = outputs[message.outputName];
      const data = new Float32Array(output.data);
      input.dispose?.();
      output.dispose?.();
      parentPort.postMessage({ type: 'result', id: message.id, data, dims: output.dims }, [data.buffer]);
    } else if (message.type === 'close') {
      await session?.release();
      session = undefined;
      parentPort.postMessage({ type: 'closed', id: message.id });
    }
  } catch (error) {
    parentPort.postMessage({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
});

try {
  const opened = await open(workerData);
  const input = session.inputMetadata?.[0];
  const output = session.outputMetadata?.[0];
  const outputShapes = Object.fromEntries(
    session.outputNames.map((name, i) => [name, session.outputMetadata?.[i]?.isTensor ? session.outputMetadata[i].shape : null]),
  );
  parentPort.postMessage({
    type: 'ready',
    ...opened,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputShape: input?.isTensor ? input.shape : null,
    outputShape: output?.isTensor ? output.shape : null,
    outputShapes,
    version: ort.env.versions?.node ?? require('onnxruntime-node/package.json').version,
  });
} catch (error) {
  parentPort.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
