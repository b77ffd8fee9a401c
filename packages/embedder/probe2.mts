import * as tf from '@tensorflow/tfjs';
import { initBackend, createEmbedder } from './src/index.ts';
import { trainSiamese } from './src/training-loop.ts';
import { SeededRandom } from './src/seeded-random.ts';
const SIZE = 32;
function stripes(label: number, random: SeededRandom): Float32Array {
  const image = new Float32Array(SIZE * SIZE * 3);
  const frequency = (2 + random.next() * 2) * ((2 * Math.PI) / SIZE);
  const phase = random.next() * 2 * Math.PI;
  const tint = [random.next(), random.next(), random.next()].map((v) => 0.5 + 0.5 * v);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) {
    const wave = Math.sin((label === 0 ? y : x) * frequency + phase);
    for (let c = 0; c < 3; c++) image[(y * SIZE + x) * 3 + c] = 0.7 * wave * (tint[c] ?? 1) + 0.3 * (random.next() * 2 - 1);
  }
  return image;
}
function ratio(e: Float32Array[], labels: number[]) {
  let s = 0, sn = 0, d = 0, dn = 0;
  for (let i = 0; i < e.length; i++) for (let j = i + 1; j < e.length; j++) {
    const v = Math.hypot(...e[i]!.map((x, k) => x - e[j]![k]!));
    if (labels[i] === labels[j]) { s += v; sn++; } else { d += v; dn++; }
  }
  return `${(s/sn).toFixed(3)}/${(d/dn).toFixed(3)}=${((s / sn) / (d / dn)).toFixed(3)}`;
}
await initBackend('wasm');
const steps = Number(process.argv[2] ?? 40), lr = Number(process.argv[3] ?? 3e-3), margin = Number(process.argv[4] ?? 1), dropout = Number(process.argv[5] ?? 0.25);
const random = new SeededRandom(11);
const items = [], images = new Map();
for (let i = 0; i < 24; i++) { items.push({ id: `img${i}`, label: i % 2, patientId: `p${i}` }); images.set(`img${i}`, stripes(i % 2, random)); }
const embedder = await createEmbedder({ architecture: 'resnet-tiny', inputSize: SIZE, embeddingDim: 16, seed: 5, dropout });
const all = items.map((it) => images.get(it.id)!); const labels = items.map((it) => it.label);
const trainRatio = () => tf.tidy(() => { const out = embedder.model.apply(tf.tensor4d(Float32Array.from(all.flatMap(a => [...a])), [24, SIZE, SIZE, 3]), { training: true }) as tf.Tensor; const arr = out.arraySync() as number[][]; return ratio(arr.map(r => Float32Array.from(r)), labels); });
console.log('before inf', ratio(await embedder.embed(all), labels));
const r = await trainSiamese({ model: embedder.model, items, loadImage: (id) => images.get(id)!, steps, batchSize: 8, seed: 3, learningRate: lr, margin });
console.log(r.losses.map(l => l.toFixed(2)).join(' '), r.imagesPerSecond.toFixed(1));
console.log('after inf', ratio(await embedder.embed(all), labels), 'train-mode', trainRatio());
