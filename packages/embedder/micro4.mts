import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/index.ts';
await initBackend('wasm');
const builtinSetup = null;
const time = (fn: () => tf.Tensor, n = 2) => { fn().dispose(); const t = performance.now(); for (let i = 0; i < n; i++) { const r = fn(); r.dataSync(); r.dispose(); } return ((performance.now() - t) / n).toFixed(1); };
for (const [xs, fs, s] of [[[16,56,56,64],[3,3,64,64],1],[[16,56,56,64],[1,1,64,256],1],[[16,56,56,256],[1,1,256,128],2],[[16,16,16,16],[3,3,16,16],1]] as [number[], number[], number][]) {
  const pad = fs[0]! > 1 ? 'same' : 'valid';
  const x = tf.randomNormal(xs) as tf.Tensor4D, f = tf.randomNormal(fs) as tf.Tensor4D;
  const y = tf.conv2d(x, f, s, pad); const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const run = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: s, pad, dataFormat: 'NHWC', inputShape: xs } as any) as tf.Tensor;
  console.log(xs.join('x'), fs.join('x'), 's' + s, 'fwd', time(() => tf.conv2d(x, f, s, pad)), 'bwdInput', time(run));
}
