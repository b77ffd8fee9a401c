import sharp from 'sharp';
import fs from 'node:fs';
const dir = '/work/shared/fundus/eyepacs-dev/images/';
const rows = fs.readFileSync('/tmp/imgchk/discs.csv', 'utf8').split('\n').map((l) => l.split(','));
const pick = (name: string, list: string[][]) => {
  return Promise.all(list.slice(0, 16).map(async ([f, cx, cy, r, fb], i) => ({
    input: await sharp(fs.readFileSync(dir + f)).composite([{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><circle cx="${cx}" cy="${cy}" r="${r}" fill="none" stroke="${fb === 'true' ? 'yellow' : 'lime'}" stroke-width="2"/><circle cx="${cx}" cy="${cy}" r="3" fill="lime"/></svg>`) }]).png().toBuffer(),
    left: (i % 8) * 256, top: Math.floor(i / 8) * 256,
  }))).then((c) => sharp({ create: { width: 2048, height: 512, channels: 3, background: '#000' } }).composite(c).png().toFile(`/tmp/imgchk/${name}.png`));
};
const fallbacks = rows.filter((r) => r[4] === 'true');
await pick('fallbacks', fallbacks);
await pick('fallbacks2', fallbacks.slice(16));
const small = rows.filter((r) => r[4] === 'false').sort((a, b) => +a[3]! - +b[3]!);
await pick('smallest', small);
await pick('largest', small.slice(-16));
await pick('random', rows.filter((_, i) => i % 290 === 123));
const off = rows.filter((r) => r[4] === 'false').sort((a, b) => Math.hypot(+b[1]! - 128, +b[2]! - 128) - Math.hypot(+a[1]! - 128, +a[2]! - 128));
await pick('offcentre', off);
