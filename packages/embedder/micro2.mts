import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/index.ts';
await initBackend('wasm');
const cases: [number[], number[], number][] = [[[16,16,16,16],[3,3,16,16],1],[[16,56,56,64],[3,3,64,64],1],[[16,56,56,64],[1,1,64,256],1],[[4,112,112,3],[7,7,3,64],2],[[16,56,56,256],[1,1,256,128],2]];
const time = (fn: () => tf.Tensor, n = 2) => { fn().dispose(); const t = performance.now(); for (let i = 0; i < n; i++) { const r = fn(); r.dataSync(); r.dispose(); } return ((performance.now() - t) / n).toFixed(1); };
for (const [xs, fs, s] of cases) {
  const pad = fs[0]! > 1 ? 'same' : 'valid';
  const x = tf.randomNormal(xs) as tf.Tensor4D, f = tf.randomNormal(fs) as tf.Tensor4D;
  const y = tf.conv2d(x, f, s, pad); const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const ref = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad, dataFormat: 'NHWC', filterShape: fs } as any) as tf.Tensor;
  const info = tf.backend_util.computeConv2DInfo(xs as any, fs as any, s, 1, pad);
  const trick = () => tf.tidy(() => {
    const { top, left } = info.padInfo;
    const needH = (info.outHeight - 1) * s + fs[0]!, needW = (info.outWidth - 1) * s + fs[1]!;
    let xp = tf.pad(x, [[0,0],[top, Math.max(0, needH - top - xs[1]!)],[left, Math.max(0, needW - left - xs[2]!)],[0,0]]);
    xp = tf.slice(xp, [0,0,0,0], [-1, needH, needW, -1]);
    const xT = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [C, Hp, Wp, N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [oH, oW, N, O]
    const out = s > 1 ? tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', s) : tf.conv2d(xT, dyT, 1, 'valid'); // [C, fH, fW, O]
    return tf.transpose(out, [1, 2, 0, 3]);
  });
  const t = trick();
  const err = tf.norm(tf.sub(t, ref)).div(tf.norm(ref)).dataSync()[0];
  t.dispose();
  const tX = time(() => tf.transpose(x, [3, 1, 2, 0]));
  const tDy = time(() => tf.transpose(dy, [1, 2, 0, 3]));
  console.log(xs.join('x'), fs.join('x'), 's' + s, { fwd: time(() => tf.conv2d(x, f, s, pad)), ours: time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad, dataFormat: 'NHWC', filterShape: fs } as any) as tf.Tensor), trick: time(trick), err, tX, tDy });
  tf.dispose([x, f, y, dy, ref]);
}
