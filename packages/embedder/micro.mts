import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/index.ts';
await initBackend('wasm');
const cases: [number[], number[], number][] = [[[16,16,16,16],[3,3,16,16],1],[[16,16,16,3],[3,3,3,16],2],[[16,56,56,64],[3,3,64,64],1],[[16,56,56,64],[1,1,64,256],1],[[4,112,112,3],[7,7,3,64],2]];
for (const [xs, fs, s] of cases) {
  const x = tf.randomNormal(xs) as tf.Tensor4D, f = tf.randomNormal(fs) as tf.Tensor4D;
  const y = tf.conv2d(x, f, s, 'same'); const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const time = (fn: () => tf.Tensor, n = 3) => { fn().dispose(); const t = performance.now(); for (let i = 0; i < n; i++) { const r = fn(); r.dataSync(); r.dispose(); } return ((performance.now() - t) / n).toFixed(1); };
  const fwd = time(() => tf.conv2d(x, f, s, 'same'));
  const bf = time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: fs } as any) as tf.Tensor);
  const bi = time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: xs } as any) as tf.Tensor);
  const m = y.shape[0]*y.shape[1]*y.shape[2];
  const a = tf.randomNormal([1, fs[3]!, m]), b = tf.randomNormal([1, m, fs[2]!]);
  const mm = time(() => tf.matMul(a as any, b as any));
  const ss = time(() => tf.stridedSlice(x, [0, 1, 1, 0], xs.map((v, i) => i === 0 || i === 3 ? v : v - 1), [1, s, s, 1]));
  const tr = time(() => tf.transpose(dy.reshape([m, fs[3]!])));
  console.log(xs.join('x'), fs.join('x'), 's'+s, { fwd, bf, bi, matmulPerBlock: mm, slice: ss, transposeDy: tr });
  tf.dispose([x, f, y, dy, a, b]);
}
