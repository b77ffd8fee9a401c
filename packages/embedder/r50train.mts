import * as tf from '@tensorflow/tfjs';
import { initBackend, createEmbedder, createSiameseTrainer } from './src/index.ts';
await initBackend('wasm');
const pairs = Number(process.argv[2] ?? 1), size = Number(process.argv[3] ?? 224);
const heap = () => ((tf.backend() as any).wasm.HEAPU8.length / 2 ** 20).toFixed(0) + ' MiB heap';
const e = await createEmbedder({ inputSize: size });
console.log('built', heap(), tf.memory().numBytes / 2 ** 20);
const img = () => Float32Array.from({ length: size * size * 3 }, (_, i) => Math.sin(i * 0.01));
const batch = { a: Array.from({ length: pairs }, img), b: Array.from({ length: pairs }, img), same: Array.from({ length: pairs }, (_, i) => i % 2 === 0) };
const trainer = createSiameseTrainer(e.model);
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  try {
    const loss = await trainer.step(batch);
    const s = (performance.now() - t) / 1000;
    console.log('step', i, loss, s.toFixed(1), 's', ((2 * pairs) / s).toFixed(2), 'img/s', heap(), tf.memory().numTensors);
  } catch (err) { console.log('FAILED', String(err).slice(0, 200), heap()); break; }
}
