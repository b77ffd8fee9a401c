import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from './decode-image.ts';
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

  it('makes the same thumbnail from an image decoded once at working size, without decoding the file again', async () => {
    const frame = await (await noiseImage(1200, 800)).jpeg({ quality: 90 }).toBuffer();
    const decoded = await decodeImage(frame, { scaleRadius: 80 });
    expect(decoded.pixels).toMatchObject({ width: 384, height: 256 });
    // The pixels alone make it: the file is not read again.
    const thumb = await makeThumbnail({ ...decoded, bytes: new Uint8Array(0) });
    const fromBytes = await makeThumbnail(frame);
    const a = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
    const b = await sharp(fromBytes).raw().toBuffer({ resolveWithObject: true });
    expect([a.info.width, a.info.height]).toEqual([256, 171]);
    expect([a.info.width, a.info.height, a.info.channels]).toEqual([b.info.width, b.info.height, b.info.channels]);
    let difference = 0;
    for (let i = 0; i < a.data.length; i++) difference += Math.abs(a.data[i]! - b.data[i]!);
    // Noise resampled along two paths: close on average, not bit-identical.
    expect(difference / a.data.length).toBeLessThan(8);

    const rotated = await decodeImage(await (await noiseImage(120, 60)).jpeg().withMetadata({ orientation: 6 }).toBuffer());
    expect(await sharp(await makeThumbnail(rotated, 64)).metadata()).toMatchObject({ width: 32, height: 64 });
    const rgba = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    const { data } = await sharp(await makeThumbnail(await decodeImage(rgba)))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(Math.max(...data)).toBeLessThan(20);
  });

  it('refuses bad input with ImageValidationError and a bad size with RangeError', async () => {
    await expect(makeThumbnail(new TextEncoder().encode('nope'))).rejects.toBeInstanceOf(ImageValidationError);
    const png = await (await noiseImage(64, 64)).png().toBuffer();
    await expect(makeThumbnail(png, 0)).rejects.toBeInstanceOf(RangeError);
  });
});
