import sharp from 'sharp';
import fs from 'node:fs';
import { findFundusDisc } from './src/fundus-disc.ts';
const dir = '/work/shared/fundus/eyepacs-dev/images/';
const files = fs.readdirSync(dir).sort();
const t = performance.now();
const rows: string[] = [];
let fallbacks = 0;
const radii: number[] = [];
for (const f of files) {
  const d = await findFundusDisc(fs.readFileSync(dir + f));
  if (d.fallback) fallbacks++;
  radii.push(d.radius);
  rows.push(`${f},${d.cx.toFixed(1)},${d.cy.toFixed(1)},${d.radius.toFixed(1)},${d.fallback}`);
}
console.log('ms/img', ((performance.now() - t) / files.length).toFixed(2), 'fallbacks', fallbacks);
radii.sort((a, b) => a - b);
console.log('radius pct', [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1].map((q) => radii[Math.floor(q * (radii.length - 1))]!.toFixed(1)).join(' '));
fs.writeFileSync('/tmp/imgchk/discs.csv', rows.join('\n'));
