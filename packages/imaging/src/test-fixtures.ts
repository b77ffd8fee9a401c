import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

// Images the tests build in memory. Nothing here reads from disk, so the tests run anywhere.

/** A noisy colour image, so every encoder has real content to compress. */
export async function noiseImage(width: number, height: number): Promise<Sharp> {
  const raw = await sharp({
    create: { width, height, channels: 3, background: '#a05030', noise: { type: 'gaussian', mean: 110, sigma: 40 } },
  })
    .raw()
    .toBuffer();
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

/** A horizontal ramp from black to light grey: no disc, no dark surround on most of its frame. */
export async function gradientPng(width: number, height: number): Promise<Buffer> {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.fill(Math.round((x / (width - 1)) * 220), (y * width + x) * 3, (y * width + x + 1) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A flat orange-red disc on black, drawn by librsvg; parts of it may lie outside the canvas. */
export async function discPng(width: number, height: number, cx: number, cy: number, radius: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="black"/>
    <circle cx="${cx}" cy="${cy}" r="${radius}" fill="#c8643c"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * A valid PNG whose header declares width x height but whose pixel data is a few bytes: what a
 * decompression bomb looks like to a header reader. Decoding it for real would need width * height * 3 bytes.
 */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(16))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
