import sharp from 'sharp';
import fs from 'node:fs';
const dir='/work/shared/fundus/eyepacs-dev/images/';
const files=fs.readdirSync(dir);let bad=0;const t=Date.now();
for (const f of files){ try{ await sharp(fs.readFileSync(dir+f),{failOn:'warning'}).stats(); }catch(e){bad++; if(bad<5)console.log(f,e.message);} }
console.log('bad',bad,'of',files.length,(Date.now()-t)+'ms');
