import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { toRawRgb } from './raw-image.ts';
import { generateSyntheticFundus, syntheticFundusGeometry, type FundusGrade, type SyntheticFundusOptions } from './synthetic-fundus.ts';

async function pixels(options: SyntheticFundusOptions): Promise<Uint8Array> {
  return (await toRawRgb(sharp(await generateSyntheticFundus(options)))).data;
}

function meanAbsDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('generateSyntheticFundus', () => {
  it('makes a 256x256 JPEG by default, black in the corners and reddish in the middle', async () => {
    const bytes = await generateSyntheticFundus({ seed: 1, grade: 0 });
    expect([bytes[0], bytes[1], bytes[2]]).toEqual([0xff, 0xd8, 0xff]);
    const image = await toRawRgb(sharp(bytes));
    expect([image.width, image.height]).toEqual([256, 256]);
    const at = (x: number, y: number): number[] => Array.from(image.data.subarray((y * 256 + x) * 3, (y * 256 + x) * 3 + 3));
    expect(Math.max(...at(2, 2))).toBeLessThan(20);
    const [r, g, b] = at(128, 60);
    expect(r).toBeGreaterThan(g! + 40);
    expect(g).toBeGreaterThan(b! - 10);
  });

  it('honours size and width/height', async () => {
    const square = await sharp(await generateSyntheticFundus({ seed: 1, grade: 0, size: 128 })).metadata();
    expect([square.width, square.height]).toEqual([128, 128]);
    const frame = await sharp(await generateSyntheticFundus({ seed: 1, grade: 0, width: 600, height: 400 })).metadata();
    expect([frame.width, frame.height]).toEqual([600, 400]);
    const geometry = syntheticFundusGeometry({ seed: 1, grade: 0, width: 600, height: 400 });
    expect(geometry.radius).toBeCloseTo(0.46 * 400, 5);
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const a = await generateSyntheticFundus({ seed: 77, grade: 2 });
    const b = await generateSyntheticFundus({ seed: 77, grade: 2 });
    const c = await generateSyntheticFundus({ seed: 78, grade: 2 });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('adds more disease with each grade of the same eye', async () => {
    for (const seed of [3, 30]) {
      const healthy = await pixels({ seed, grade: 0 });
      const changes: number[] = [];
      for (const grade of [1, 2, 3, 4] as FundusGrade[]) changes.push(meanAbsDifference(healthy, await pixels({ seed, grade })));
      // Strictly growing: each grade keeps the lesions of the one below and adds its own.
      for (let i = 1; i < changes.length; i++) expect(changes[i]).toBeGreaterThan(changes[i - 1]!);
      expect(changes[0]).toBeGreaterThan(0.05);
    }
  });

  it('makes yellow exudates appear from grade 2', async () => {
    const exudatePixels = (data: Uint8Array): number => {
      let n = 0;
      for (let i = 0; i < data.length; i += 3) if (data[i]! > 200 && data[i + 1]! > 170 && data[i + 2]! < 140) n++;
      return n;
    };
    // The pale optic disc matches too, so compare grades of the same eye rather than count from zero.
    const healthy = exudatePixels(await pixels({ seed: 5, grade: 0 }));
    expect(exudatePixels(await pixels({ seed: 5, grade: 1 }))).toBeLessThan(healthy + 5);
    expect(exudatePixels(await pixels({ seed: 5, grade: 2 }))).toBeGreaterThan(healthy + 20);
  });

  it('rejects invalid options', async () => {
    await expect(generateSyntheticFundus({ seed: 1, grade: 5 as FundusGrade })).rejects.toBeInstanceOf(RangeError);
    await expect(generateSyntheticFundus({ seed: 1, grade: 0, size: 8 })).rejects.toBeInstanceOf(RangeError);
    await expect(generateSyntheticFundus({ seed: 1, grade: 0, width: 300.5, height: 200 })).rejects.toBeInstanceOf(RangeError);
  });
});
