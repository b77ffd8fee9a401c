import sharp from 'sharp';
import fs from 'node:fs';
import { generateSyntheticFundus, syntheticFundusGeometry } from './src/synthetic-fundus.ts';
import { findFundusDisc } from './src/fundus-disc.ts';
for (const o of [{ seed: 1, grade: 0 }, { seed: 2, grade: 4 }, { seed: 3, grade: 2, width: 768, height: 512 }, { seed: 4, grade: 3, width: 3872, height: 2592 }, { seed: 5, grade: 1, size: 64 }] as const) {
  const g = syntheticFundusGeometry(o);
  const d = await findFundusDisc(await generateSyntheticFundus(o));
  console.log(JSON.stringify(o), 'truth', g.cx.toFixed(1), g.cy.toFixed(1), g.radius.toFixed(1), 'found', d.cx.toFixed(1), d.cy.toFixed(1), d.radius.toFixed(1), d.fallback);
}
// clipped disc
const svg = (w: number, h: number, cx: number, cy: number, r: number) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="black"/><circle cx="${cx}" cy="${cy}" r="${r}" fill="#c8643c"/></svg>`);
for (const [w, h, cx, cy, r] of [[400, 300, 200, 150, 170], [400, 300, 180, 160, 220], [300, 300, 150, 150, 200]]) {
  const png = await sharp(svg(w!, h!, cx!, cy!, r!)).png().toBuffer();
  const d = await findFundusDisc(png);
  console.log('svg', w, h, cx, cy, r, '->', d.cx.toFixed(1), d.cy.toFixed(1), d.radius.toFixed(1), d.fallback);
}
const grad = await sharp(Buffer.from(Array.from({ length: 256 * 256 * 3 }, (_, i) => Math.floor(((i / 3) % 256)))), { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
console.log('gradient', await findFundusDisc(grad));
const flat = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } }).png().toBuffer();
console.log('flat', await findFundusDisc(flat));
