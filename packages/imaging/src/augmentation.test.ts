import { describe, expect, it } from 'vitest';
import { createRandom } from '@cbmir/seeded-random';
import { applyAugmentation, augmentPreprocessed, DEFAULT_AUGMENTATION, drawAugmentation, type AugmentationDraw } from './augmentation.ts';

const SIZE = 16;
const identity: AugmentationDraw = { angle: 0, scale: 1, dx: 0, dy: 0, flipX: false, flipY: false, blurSigma: 0 };

/** A test pattern whose red channel is x and green channel is y, so every move is easy to follow. */
function pattern(): Float32Array {
  const image = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) image.set([x, y, 1], (y * SIZE + x) * 3);
  return image;
}
const pixel = (image: Float32Array, x: number, y: number) => Array.from(image.subarray((y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3));

describe('augmentation', () => {
  it('the identity draw leaves the image as it is', () => {
    expect(applyAugmentation(pattern(), SIZE, identity)).toEqual(pattern());
  });

  it('flips horizontally and vertically', () => {
    const flipped = applyAugmentation(pattern(), SIZE, { ...identity, flipX: true, flipY: true });
    expect(pixel(flipped, 0, 0)).toEqual([SIZE - 1, SIZE - 1, 1]);
    expect(pixel(flipped, 3, 5)).toEqual([SIZE - 4, SIZE - 6, 1]);
  });

  it('rotates by 180 degrees like a double flip, and by 90 degrees about the centre', () => {
    const half = applyAugmentation(pattern(), SIZE, { ...identity, angle: Math.PI });
    const flipped = applyAugmentation(pattern(), SIZE, { ...identity, flipX: true, flipY: true });
    half.forEach((v, i) => expect(v).toBeCloseTo(flipped[i]!, 4));
    const quarter = applyAugmentation(pattern(), SIZE, { ...identity, angle: Math.PI / 2 });
    const [r, g] = pixel(quarter, 0, 0);
    // A corner maps to a corner: the source of (0,0) under a 90 degree turn is (0, 15) or (15, 0).
    expect([r ?? NaN, g ?? NaN].map((v) => Math.round(v)).sort()).toEqual([0, SIZE - 1]);
  });

  it('offsets the crop and fills what comes from outside with neutral 0', () => {
    const shifted = applyAugmentation(pattern(), SIZE, { ...identity, dx: 2 });
    expect(pixel(shifted, 5, 4)).toEqual([3, 4, 1]);
    expect(pixel(shifted, 0, 4)).toEqual([0, 0, 0]);
  });

  it('blurs without changing a flat image', () => {
    const flat = new Float32Array(SIZE * SIZE * 3).fill(0.5);
    applyAugmentation(flat, SIZE, { ...identity, blurSigma: 1.2 }).forEach((v) => expect(v).toBeCloseTo(0.5, 5));
    const blurred = applyAugmentation(pattern(), SIZE, { ...identity, blurSigma: 1.2 });
    expect(pixel(blurred, 8, 8)[0]).toBeCloseTo(8, 3); // a linear ramp stays linear inside
  });

  it('is reproducible for a seed and varies across seeds, within the configured ranges', () => {
    const image = pattern();
    expect(augmentPreprocessed(image, SIZE, 7)).toEqual(augmentPreprocessed(image, SIZE, 7));
    expect(augmentPreprocessed(image, SIZE, 7)).not.toEqual(augmentPreprocessed(image, SIZE, 8));
    const random = createRandom(1);
    for (let i = 0; i < 200; i++) {
      const draw = drawAugmentation(random, SIZE);
      expect(draw.angle).toBeGreaterThanOrEqual(0);
      expect(draw.angle).toBeLessThan(2 * Math.PI);
      expect(Math.abs(draw.scale - 1)).toBeLessThanOrEqual(DEFAULT_AUGMENTATION.maxZoom);
      expect(Math.abs(draw.dx)).toBeLessThanOrEqual(DEFAULT_AUGMENTATION.maxOffset * SIZE);
      expect(draw.blurSigma === 0 || draw.blurSigma <= DEFAULT_AUGMENTATION.maxBlurSigma).toBe(true);
    }
  });

  it('refuses an image of the wrong size', () => {
    expect(() => applyAugmentation(new Float32Array(10), SIZE, identity)).toThrow(RangeError);
  });
});
