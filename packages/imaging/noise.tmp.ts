import sharp from 'sharp';
import fs from 'node:fs';
const f = fs.readFileSync('/tmp/imgchk/discs.csv', 'utf8').split('\n').find((l) => l.endsWith('true'))!.split(',')[0]!;
const { data } = await sharp(fs.readFileSync('/work/shared/fundus/eyepacs-dev/images/' + f)).raw().toBuffer({ resolveWithObject: true });
const hist = new Array(26).fill(0);
for (let y = 0; y < 30; y++) for (let x = 0; x < 256; x++) { const i = (y * 256 + x) * 3; hist[Math.floor(Math.max(data[i]!, data[i + 1]!, data[i + 2]!) / 10)]++; }
console.log(f, hist.join(' '));
