import * as tf from '@tensorflow/tfjs';
import { initBackend, createEmbedder, createSiameseTrainer } from './src/index.ts';
await initBackend('wasm');
const size = Number(process.argv[2] ?? 32), pairs = Number(process.argv[3] ?? 8), arch = (process.argv[4] ?? 'resnet-tiny') as any;
const e = await createEmbedder({ architecture: arch, inputSize: size });
const img = () => Float32Array.from({ length: size * size * 3 }, (_, i) => Math.sin(i * 0.01));
const batch = { a: Array.from({ length: pairs }, img), b: Array.from({ length: pairs }, img), same: Array.from({ length: pairs }, (_, i) => i % 2 === 0) };
const trainer = createSiameseTrainer(e.model);
await trainer.step(batch);
let t = performance.now(); await trainer.step(batch); console.log('step ms', performance.now() - t);
const info = await tf.profile(async () => { await trainer.step(batch); });
const by = new Map<string, { ms: number; n: number }>();
for (const k of info.kernels) { const cur = by.get(k.name) ?? { ms: 0, n: 0 }; cur.ms += (k.kernelTimeMs as number) || 0; cur.n++; by.set(k.name, cur); }
const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
for (const [k, v] of rows) console.log(k.padEnd(28), v.ms.toFixed(1).padStart(8), v.n);
console.log('total kernel ms', [...by.values()].reduce((s, v) => s + v.ms, 0).toFixed(1), 'kernels', info.kernels.length);
