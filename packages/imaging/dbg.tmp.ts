import sharp from 'sharp';
import { locateFundusDisc } from './src/fundus-disc.ts';
import { toRawRgb } from './src/raw-image.ts';
const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="100%" height="100%" fill="black"/><circle cx="150" cy="150" r="200" fill="#c8643c"/></svg>`);
const raw = await toRawRgb(sharp(svg));
let dark = 0; for (let i = 0; i < raw.data.length; i += 3) if (raw.data[i]! < 50) dark++;
console.log('dark fraction', dark / (300 * 300));
console.log(locateFundusDisc(raw));
