import sharp from 'sharp';
import { createRandom } from './src/seeded-random.ts';
import { generateSyntheticFundus } from './src/synthetic-fundus.ts';
const b = await generateSyntheticFundus({ seed: 1, grade: 2, size: 512 });
const rng = createRandom(9);
const ways: Record<string, (c: Buffer) => Promise<unknown>> = {
  full: (c) => sharp(c, { failOn: 'warning' }).raw().toBuffer(),
  small: (c) => sharp(c, { failOn: 'warning' }).resize(64, 64, { fit: 'inside' }).raw().toBuffer(),
  noFast: (c) => sharp(c, { failOn: 'warning' }).resize(64, 64, { fit: 'inside', fastShrinkOnLoad: false }).raw().toBuffer(),
  band: (c) => sharp(c, { failOn: 'warning' }).extractChannel(0).raw().toBuffer(),
  stats: (c) => sharp(c, { failOn: 'warning' }).stats(),
};
const hits: Record<string, number> = Object.fromEntries(Object.keys(ways).map((k) => [k, 0]));
for (let trial = 0; trial < 300; trial++) {
  const c = Buffer.from(b);
  const at = Math.floor(c.length * (0.2 + 0.6 * rng.next()));
  for (let k = 0; k < 16; k++) c[at + k] = Math.floor(rng.next() * 256);
  for (const [k, fn] of Object.entries(ways)) { try { await fn(c); } catch { hits[k]!++; } }
}
console.log(hits);
