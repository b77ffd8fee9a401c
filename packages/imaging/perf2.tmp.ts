import fs from 'node:fs';
import sharp from 'sharp';
const dir = '/work/shared/fundus/eyepacs-dev/images/';
const files = fs.readdirSync(dir).sort().slice(0, 60).map((f) => fs.readFileSync(dir + f));
const big = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#804020', noise: { type: 'gaussian', mean: 100, sigma: 30 } } }).jpeg().toBuffer();
const variants: Record<string, (b: Buffer) => Promise<unknown>> = {
  stats: (b) => sharp(b, { failOn: 'warning' }).stats(),
  raw: (b) => sharp(b, { failOn: 'warning' }).raw().toBuffer(),
  resize: (b) => sharp(b, { failOn: 'warning' }).resize(32, 32, { fit: 'inside' }).raw().toBuffer(),
  extractband: (b) => sharp(b, { failOn: 'warning' }).extractChannel(0).raw().toBuffer(),
  metadata: (b) => sharp(b).metadata(),
};
for (const [name, fn] of Object.entries(variants)) {
  for (const b of files.slice(0, 5)) await fn(b);
  let t = performance.now();
  for (const b of files) await fn(b);
  const small = (performance.now() - t) / files.length;
  t = performance.now();
  for (let i = 0; i < 3; i++) await fn(big);
  console.log(name, small.toFixed(1), 'ms small;', ((performance.now() - t) / 3).toFixed(0), 'ms 12MP', 'rss', (process.memoryUsage().rss / 1e6).toFixed(0));
}
const trunc = big.subarray(0, big.length * 0.7);
for (const [name, fn] of Object.entries(variants)) { try { await fn(trunc); console.log(name, 'accepted truncated'); } catch (e) { console.log(name, 'rejects:', (e as Error).message); } }
