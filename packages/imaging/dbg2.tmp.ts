import sharp from 'sharp';
import fs from 'node:fs';
import { toRawRgb } from './src/raw-image.ts';
const f = process.argv[2] ?? '10135_left.jpeg';
const raw = await toRawRgb(sharp(fs.readFileSync('/work/shared/fundus/eyepacs-dev/images/' + f)));
const { width, height, data } = raw;
// print brightness of the middle row, every 4 px
const y = 128;
const row: number[] = [];
for (let x = 0; x < width; x += 4) { const i = (y * width + x) * 3; row.push(Math.max(data[i]!, data[i + 1]!, data[i + 2]!)); }
console.log(row.join(' '));
const all = new Array(26).fill(0);
for (let p = 0; p < width * height; p++) all[Math.floor(Math.max(data[p * 3]!, data[p * 3 + 1]!, data[p * 3 + 2]!) / 10)]++;
console.log(all.join(' '));
