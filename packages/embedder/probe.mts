import * as tf from '@tensorflow/tfjs';
import { initBackend, buildEmbeddingModel, resolveEmbedderSpec } from './src/index.ts';
import { createSiameseTrainer } from './src/train-step.ts';
const backend = process.argv[2] ?? 'wasm';
const arch = (process.argv[3] ?? 'resnet-tiny') as any;
const size = Number(process.argv[4] ?? 32);
const n = Number(process.argv[5] ?? 8);
console.log(await initBackend(backend));
const spec = resolveEmbedderSpec({ architecture: arch, inputSize: size, embeddingDim: 32 });
const model = buildEmbeddingModel(spec);
const trainer = createSiameseTrainer(model);
const img = () => Float32Array.from({ length: size * size * 3 }, () => Math.random() * 2 - 1);
const batch = { a: Array.from({ length: n }, img), b: Array.from({ length: n }, img), same: Array.from({ length: n }, (_, i) => i % 2 === 0) };
for (let i = 0; i < 4; i++) {
  const t = Date.now();
  const loss = await trainer.step(batch);
  const ms = Date.now() - t;
  console.log(i, loss.toFixed(4), ms, 'ms', ((2 * n) / (ms / 1000)).toFixed(1), 'img/s', tf.memory().numTensors);
}
