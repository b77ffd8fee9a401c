import type { Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { createRandom } from '@cbmir/seeded-random';
import { decodeImage, DEFAULT_IMAGE_LIMITS, workingSize } from './decode-image.ts';
import { ImageValidationError, type ImageErrorCode } from './image-error.ts';
import { DEFAULT_IMAGE_LIMITS as LIMITS } from './image-limits.ts';
import { noiseImage, pngHeaderOnly } from './test-fixtures.ts';

async function expectRejected(bytes: Uint8Array, code: ImageErrorCode, limits = LIMITS): Promise<ImageValidationError> {
  const error = await decodeImage(bytes, { limits }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageValidationError);
  expect((error as ImageValidationError).code).toBe(code);
  expect((error as ImageValidationError).message.length).toBeGreaterThan(0);
  return error as ImageValidationError;
}

describe('decodeImage', () => {
  it('re-exports the default limits', () => {
    expect(DEFAULT_IMAGE_LIMITS).toEqual({ maxPixels: 100_000_000, minSide: 32 });
  });

  it.each([
    ['jpeg', (s: Sharp) => s.jpeg()],
    ['png', (s: Sharp) => s.png()],
    ['tiff', (s: Sharp) => s.tiff()],
    ['webp', (s: Sharp) => s.webp()],
  ] as const)('accepts %s and reports its format and size', async (format, encode) => {
    const bytes = await encode(await noiseImage(120, 80)).toBuffer();
    await expect(decodeImage(bytes)).resolves.toMatchObject({ format, width: 120, height: 80 });
  });

  it('accepts a Uint8Array view into a larger buffer', async () => {
    const png = await (await noiseImage(40, 40)).png().toBuffer();
    const padded = new Uint8Array(png.length + 10);
    padded.set(png, 5);
    await expect(decodeImage(padded.subarray(5, 5 + png.length))).resolves.toMatchObject({ format: 'png' });
  });

  it('reports the upright size of an image with an EXIF rotation', async () => {
    // Orientation 6: stored landscape, shown rotated 90 degrees clockwise.
    const bytes = await (await noiseImage(90, 60)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const decoded = await decodeImage(bytes);
    expect(decoded).toMatchObject({ format: 'jpeg', width: 60, height: 90 });
    expect(decoded.pixels).toMatchObject({ width: 60, height: 90, channels: 3 });
  });

  it('decodes a camera frame once at working size: the short side 2.2 * scaleRadius', async () => {
    // 3.03 times smaller: sharp decodes the JPEG at 1/2 scale in the DCT, then resamples that.
    expect(workingSize(3000, 2000, 300)).toEqual({ width: 990, height: 660 });
    expect(workingSize(512, 512, 300)).toEqual({ width: 512, height: 512 });
    expect(workingSize(12_000, 8_000, 300)).toEqual({ width: 990, height: 660 });
    // Never smaller than a thumbnail, never larger than the original.
    expect(workingSize(1000, 800, 16)).toEqual({ width: 320, height: 256 });
    const frame = await (await noiseImage(1200, 800)).jpeg({ quality: 90 }).toBuffer();
    const decoded = await decodeImage(frame, { scaleRadius: 100 });
    expect(decoded).toMatchObject({ format: 'jpeg', width: 1200, height: 800, scaleRadius: 100, bytes: frame });
    expect(decoded.pixels).toMatchObject({ width: 384, height: 256, channels: 3 });
    expect(decoded.pixels.data.length).toBe(384 * 256 * 3);
  });

  it('refuses a truncated camera frame decoded at working size like a full decode does, baseline or progressive', async () => {
    const noise = await noiseImage(1200, 800);
    for (const progressive of [false, true]) {
      const frame = await noise.clone().jpeg({ quality: 90, progressive }).toBuffer();
      // 256 px of 800: a resize by 3.1, which sharp starts with a JPEG decode at 1/2 scale.
      expect((await decodeImage(frame, { scaleRadius: 80 })).pixels).toMatchObject({ width: 384, height: 256 });
      await expect(decodeImage(frame.subarray(0, Math.floor(frame.length * 0.9)), { scaleRadius: 80 })).rejects.toMatchObject({ code: 'undecodable' });
    }
  });

  it('rejects empty input', async () => {
    await expectRejected(new Uint8Array(0), 'empty');
  });

  it('rejects text, PDF, SVG and GIF bytes as unsupported types', async () => {
    const encoder = new TextEncoder();
    await expectRejected(encoder.encode('just some text, not an image'), 'unsupported_type');
    await expectRejected(encoder.encode('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF'), 'unsupported_type');
    await expectRejected(
      encoder.encode('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>'),
      'unsupported_type',
    );
    const gif = await (await noiseImage(64, 64)).gif().toBuffer();
    await expectRejected(gif, 'unsupported_type');
  });

  it('rejects a truncated JPEG as undecodable', async () => {
    const jpeg = await (await noiseImage(200, 150)).jpeg().toBuffer();
    // The header is intact, so only decoding the pixels can tell.
    await expectRejected(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'undecodable');
  });

  it('rejects a truncated PNG and a PNG with a garbled header as undecodable', async () => {
    const png = await (await noiseImage(200, 150)).png().toBuffer();
    await expectRejected(png.subarray(0, Math.floor(png.length * 0.6)), 'undecodable');
    const garbled = Buffer.from(png);
    garbled.fill(0x55, 12, 40);
    await expectRejected(garbled, 'undecodable');
  });

  it('rejects a huge declared size as too_large without allocating the pixels', async () => {
    const bomb = pngHeaderOnly(100_000, 100_000); // 10^10 pixels, 30 GB if decoded
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const error = await expectRejected(bomb, 'too_large');
    expect(error.message).toContain('100000x100000');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('applies caller limits', async () => {
    const png = await (await noiseImage(100, 100)).png().toBuffer();
    await expectRejected(png, 'too_large', { maxPixels: 9_999, minSide: 32 });
    await expectRejected(png, 'too_small', { maxPixels: 1_000_000, minSide: 101 });
    await expect(decodeImage(png, { limits: { maxPixels: 10_000, minSide: 100 } })).resolves.toMatchObject({ width: 100 });
  });

  it('rejects images below the minimum side as too_small', async () => {
    await expectRejected(await (await noiseImage(16, 200)).png().toBuffer(), 'too_small');
  });

  it('throws nothing but ImageValidationError for mangled images', async () => {
    const jpeg = await (await noiseImage(64, 64)).jpeg().toBuffer();
    const rng = createRandom(11);
    const codes = new Set<string>();
    for (let trial = 0; trial < 40; trial++) {
      const mangled = Buffer.from(jpeg.subarray(0, rng.int(3, jpeg.length)));
      for (let k = 0; k < 8; k++) mangled[rng.int(3, mangled.length - 1)] = rng.int(0, 255);
      try {
        await decodeImage(mangled);
      } catch (error) {
        expect(error).toBeInstanceOf(ImageValidationError);
        codes.add((error as ImageValidationError).code);
      }
    }
    expect(codes.has('undecodable')).toBe(true);
  });
});
