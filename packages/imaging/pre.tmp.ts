import sharp from 'sharp';
import fs from 'node:fs';
import { preprocessFundus, generateSyntheticFundus } from './src/index.ts';
const dir = '/work/shared/fundus/eyepacs-dev/images/';
const files = fs.readdirSync(dir).sort().filter((_, i) => i % 600 === 5);
const inputs: Buffer[] = [...files.map((f) => fs.readFileSync(dir + f))];
inputs.push(await generateSyntheticFundus({ seed: 1, grade: 0 }), await generateSyntheticFundus({ seed: 1, grade: 3 }), await generateSyntheticFundus({ seed: 3, grade: 4, width: 3872, height: 2592 }));
const grad = await sharp(Buffer.from(Array.from({ length: 200 * 300 * 3 }, (_, i) => Math.floor(((i / 3) % 300) * 0.8))), { raw: { width: 300, height: 200, channels: 3 } }).png().toBuffer();
inputs.push(grad);
const tiles = [];
let t = performance.now();
for (const [i, b] of inputs.entries()) {
  const t0 = performance.now();
  const p = await preprocessFundus(b);
  const ms = performance.now() - t0;
  let min = 9, max = -9; for (const v of p.data) { min = Math.min(min, v); max = Math.max(max, v); }
  console.log(i, p.size, p.data.length, min.toFixed(2), max.toFixed(2), JSON.stringify(p.disc), ms.toFixed(1) + 'ms');
  const u8 = Uint8Array.from(p.data, (v) => Math.round((v + 1) * 127.5));
  tiles.push({ input: await sharp(u8, { raw: { width: 224, height: 224, channels: 3 } }).png().toBuffer(), left: (i % 7) * 224, top: Math.floor(i / 7) * 224 });
}
console.log('total', (performance.now() - t).toFixed(0));
await sharp({ create: { width: 7 * 224, height: 2 * 224, channels: 3, background: '#000' } }).composite(tiles).png().toFile('/tmp/imgchk/pre.png');
