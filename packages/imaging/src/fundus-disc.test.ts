import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createRandom } from '@cbmir/seeded-random';
import { findFundusDisc, locateFundusDisc, type FundusDisc } from './fundus-disc.ts';
import { ImageValidationError } from './image-error.ts';
import { toRawRgb } from './raw-image.ts';
import { generateSyntheticFundus, syntheticFundusGeometry, type SyntheticFundusOptions } from './synthetic-fundus.ts';
import { discPng, gradientPng } from './test-fixtures.ts';

function expectDisc(found: FundusDisc, cx: number, cy: number, radius: number): void {
  expect(found.fallback).toBe(false);
  expect(Math.abs(found.radius - radius) / radius).toBeLessThan(0.03);
  expect(Math.hypot(found.cx - cx, found.cy - cy)).toBeLessThan(0.02 * radius);
}

describe('findFundusDisc', () => {
  it.each<SyntheticFundusOptions>([
    { seed: 1, grade: 0 },
    { seed: 2, grade: 4 },
    { seed: 3, grade: 2, size: 96 },
  ])('measures a synthetic square fundus %o', async (options) => {
    const truth = syntheticFundusGeometry(options);
    expectDisc(await findFundusDisc(await generateSyntheticFundus(options)), truth.cx, truth.cy, truth.radius);
  });

  it('measures an off-centre disc on a wide camera-like canvas with black borders', async () => {
    const options: SyntheticFundusOptions = { seed: 8, grade: 3, width: 900, height: 600 };
    const truth = syntheticFundusGeometry(options);
    expect(truth.cx).not.toBeCloseTo(450, 0);
    expectDisc(await findFundusDisc(await generateSyntheticFundus(options)), truth.cx, truth.cy, truth.radius);
  });

  it('measures a disc cut off at the top and bottom by the frame', async () => {
    // Only the left and right arcs of this disc are in the picture, as in many EyePACS photos.
    expectDisc(await findFundusDisc(await discPng(400, 300, 190, 160, 175)), 190, 160, 175);
    expectDisc(await findFundusDisc(await discPng(400, 300, 205, 145, 198)), 205, 145, 198);
  });

  it('reports coordinates in the upright image when the file carries an EXIF rotation', async () => {
    const stored = await discPng(400, 300, 150, 120, 100);
    // Orientation 6 shows the stored 400x300 picture turned 90 degrees clockwise: (x, y) -> (300 - y, x).
    const rotated = await sharp(stored).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expectDisc(await findFundusDisc(rotated), 300 - 120, 150, 100);
  });

  it('ignores speckled noise in the dark surround', async () => {
    const options: SyntheticFundusOptions = { seed: 5, grade: 1, width: 360, height: 256 };
    const truth = syntheticFundusGeometry(options);
    const image = await toRawRgb(sharp(await generateSyntheticFundus(options)));
    // Bright grain outside the disc, as bright as the retina's rim, like some camera sensors give.
    const rng = createRandom(1);
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const outside = Math.hypot(x + 0.5 - truth.cx, y + 0.5 - truth.cy) > truth.radius + 2;
        if (outside && rng.next() < 0.25) image.data.fill(rng.int(40, 110), (y * image.width + x) * 3, (y * image.width + x + 1) * 3);
      }
    }
    expectDisc(locateFundusDisc(image), truth.cx, truth.cy, truth.radius);
  });

  it('falls back to the inscribed circle for a gradient and for a flat image', async () => {
    await expect(findFundusDisc(await gradientPng(300, 200))).resolves.toEqual({
      cx: 150,
      cy: 100,
      radius: 100,
      fallback: true,
    });
    const flat = await sharp({ create: { width: 120, height: 200, channels: 3, background: '#7a4020' } })
      .png()
      .toBuffer();
    await expect(findFundusDisc(flat)).resolves.toEqual({ cx: 60, cy: 100, radius: 60, fallback: true });
  });

  it('falls back when the bright region is not a disc', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="300" height="300"/>
      <rect x="40" y="60" width="220" height="120" fill="#d07040"/></svg>`;
    const found = await findFundusDisc(await sharp(Buffer.from(svg)).png().toBuffer());
    expect(found.fallback).toBe(true);
  });

  it('throws ImageValidationError for non-images', async () => {
    await expect(findFundusDisc(new TextEncoder().encode('%PDF-1.4'))).rejects.toBeInstanceOf(ImageValidationError);
  });
});
