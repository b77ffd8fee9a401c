import sharp from 'sharp';
import { createRandom } from './src/seeded-random.ts';
import { generateSyntheticFundus } from './src/synthetic-fundus.ts';
const base = await generateSyntheticFundus({ seed: 1, grade: 2, size: 512 });
const enc: Record<string, Buffer> = {
  jpeg: base,
  png: await sharp(base).png().toBuffer(),
  webp: await sharp(base).webp().toBuffer(),
  tiff: await sharp(base).tiff({ compression: 'lzw' }).toBuffer(),
  pjpeg: await sharp(base).jpeg({ progressive: true }).toBuffer(),
};
const rng = createRandom(5);
for (const [fmt, b] of Object.entries(enc)) {
  let full = 0, small = 0, n = 0;
  for (let trial = 0; trial < 40; trial++) {
    const c = Buffer.from(b);
    const at = Math.floor(c.length * (0.2 + 0.6 * rng.next()));
    for (let k = 0; k < 16; k++) c[at + k] = Math.floor(rng.next() * 256);
    n++;
    try { await sharp(c, { failOn: 'warning' }).raw().toBuffer(); } catch { full++; }
    try { await sharp(c, { failOn: 'warning' }).resize(64, 64, { fit: 'inside' }).raw().toBuffer(); } catch { small++; }
  }
  const t = b.subarray(0, Math.floor(b.length * 0.8));
  let tf = 'acc', ts = 'acc';
  try { await sharp(t, { failOn: 'warning' }).raw().toBuffer(); } catch { tf = 'rej'; }
  try { await sharp(t, { failOn: 'warning' }).resize(64, 64, { fit: 'inside' }).raw().toBuffer(); } catch { ts = 'rej'; }
  console.log(fmt, 'corrupt detected full', full, '/', n, 'small', small, '| truncated full', tf, 'small', ts);
}
