import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageValidationError } from './image-error.ts';
import { noiseImage } from './test-fixtures.ts';
import { makeThumbnail } from './thumbnail.ts';

const isJpeg = (bytes: Uint8Array): boolean => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

describe('makeThumbnail', () => {
  it('fits a landscape image inside 256x256 keeping its aspect ratio', async () => {
    const thumb = await makeThumbnail(await (await noiseImage(600, 400)).png().toBuffer());
    expect(isJpeg(thumb)).toBe(true);
    const meta = await sharp(thumb).metadata();
    expect([meta.width, meta.height]).toEqual([256, 171]);
  });

  it('honours a custom size and fits portrait images by height', async () => {
    const thumb = await makeThumbnail(await (await noiseImage(300, 900)).webp().toBuffer(), 90);
    const meta = await sharp(thumb).metadata();
    expect([meta.width, meta.height]).toEqual([30, 90]);
  });

  it('does not enlarge small images', async () => {
    const thumb = await makeThumbnail(await (await noiseImage(100, 50)).jpeg().toBuffer());
    const meta = await sharp(thumb).metadata();
    expect([meta.width, meta.height]).toEqual([100, 50]);
  });

  it('applies the EXIF rotation and drops the metadata', async () => {
    const rotated = await (await noiseImage(120, 60)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const meta = await sharp(await makeThumbnail(rotated, 64)).metadata();
    expect([meta.width, meta.height]).toEqual([32, 64]);
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
  });

  it('flattens transparency onto black and outputs RGB', async () => {
    const rgba = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    const thumb = await makeThumbnail(rgba);
    const { data, info } = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect(Math.max(...data)).toBeLessThan(20);
  });

  it('refuses bad input with ImageValidationError and a bad size with RangeError', async () => {
    await expect(makeThumbnail(new TextEncoder().encode('nope'))).rejects.toBeInstanceOf(ImageValidationError);
    const png = await (await noiseImage(64, 64)).png().toBuffer();
    await expect(makeThumbnail(png, 0)).rejects.toBeInstanceOf(RangeError);
  });
});
