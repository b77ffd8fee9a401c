import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { assertValidRegion, cropToRegion, RegionError, regionPixels } from './crop-region.ts';
import { ImageValidationError } from './image-error.ts';
import { noiseImage } from './test-fixtures.ts';

describe('regionPixels', () => {
  it('rounds the edges to the nearest pixel', () => {
    expect(regionPixels({ x: 0.25, y: 0.1, width: 0.5, height: 0.5 }, 400, 300)).toEqual({ left: 100, top: 30, width: 200, height: 150 });
    expect(regionPixels({ x: 0, y: 0, width: 1, height: 1 }, 400, 300)).toEqual({ left: 0, top: 0, width: 400, height: 300 });
  });

  it('refuses fractions outside 0..1, an empty region, one past an edge, and one too few pixels wide', () => {
    expect(() => assertValidRegion({ x: -0.1, y: 0, width: 0.5, height: 0.5 })).toThrow(/region x must be a fraction between 0 and 1/);
    expect(() => assertValidRegion({ x: 0, y: 0, width: 1.5, height: 0.5 })).toThrow(/width/);
    expect(() => assertValidRegion({ x: 0, y: 0, width: 0, height: 0.5 })).toThrow(/no area/);
    expect(() => assertValidRegion({ x: 0.6, y: 0, width: 0.5, height: 0.5 })).toThrow(/past the right edge/);
    expect(() => assertValidRegion({ x: 0, y: 0.6, width: 0.5, height: 0.5 })).toThrow(/past the bottom edge/);
    expect(() => regionPixels({ x: 0, y: 0, width: 0.1, height: 0.5 }, 400, 300)).toThrow(RegionError);
    expect(() => regionPixels({ x: 0, y: 0, width: 0.1, height: 0.5 }, 400, 300)).toThrow(/40x150 px .* at least 64 px/);
  });
});

describe('cropToRegion', () => {
  it('returns exactly the pixels of the region, as a lossless PNG', async () => {
    const png = await (await noiseImage(200, 160)).png().toBuffer();
    const { bytes, box } = await cropToRegion(png, { x: 0.2, y: 0.25, width: 0.5, height: 0.5 });
    expect(box).toEqual({ left: 40, top: 40, width: 100, height: 80 });
    const got = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const want = await sharp(png).extract(box).raw().toBuffer();
    expect(got.info.format).toBe('raw');
    expect([got.info.width, got.info.height]).toEqual([100, 80]);
    expect(Buffer.compare(got.data, want)).toBe(0);
  });

  it('measures the region in the upright image (EXIF orientation applied)', async () => {
    const rotated = await (await noiseImage(200, 100)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const { box } = await cropToRegion(rotated, { x: 0, y: 0, width: 1, height: 0.5 });
    // Upright it is 100 wide and 200 tall.
    expect(box).toEqual({ left: 0, top: 0, width: 100, height: 100 });
  });

  it('refuses an unreadable image with ImageValidationError', async () => {
    await expect(cropToRegion(new TextEncoder().encode('nope'), { x: 0, y: 0, width: 1, height: 1 })).rejects.toBeInstanceOf(ImageValidationError);
  });
});
