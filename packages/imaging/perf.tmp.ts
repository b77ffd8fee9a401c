import fs from 'node:fs';
import { preprocessFundus, findFundusDisc, decodeImage, makeThumbnail, generateSyntheticFundus } from './src/index.ts';
const dir = '/work/shared/fundus/eyepacs-dev/images/';
const files = fs.readdirSync(dir).sort().slice(0, 60).map((f) => fs.readFileSync(dir + f));
for (const [name, fn] of [['decode', decodeImage], ['thumb', makeThumbnail], ['disc', findFundusDisc], ['pre', preprocessFundus]] as const) {
  for (const b of files.slice(0, 5)) await (fn as (b: Buffer) => Promise<unknown>)(b);
  const t = performance.now();
  for (const b of files) await (fn as (b: Buffer) => Promise<unknown>)(b);
  console.log(name, ((performance.now() - t) / files.length).toFixed(1), 'ms');
}
const t = performance.now();
for (let i = 0; i < 30; i++) await generateSyntheticFundus({ seed: i, grade: (i % 5) as 0 });
console.log('synth', ((performance.now() - t) / 30).toFixed(1), 'ms');
