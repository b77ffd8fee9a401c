import { describe, expect, it } from 'vitest';
import { cellBounds, occludeCell, occlusionMap } from './occlusion-map.ts';

const SIZE = 28;

/** A stand-in network whose 2-d embedding is the mean of two regions' red channel: region A and region B. */
function regionEmbed(inputs: Float32Array[]): Promise<Float32Array[]> {
  const mean = (image: Float32Array, x0: number, y0: number, side: number) => {
    let sum = 0;
    for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) sum += image[(y * SIZE + x) * 3]!;
    return sum / (side * side);
  };
  return Promise.resolve(inputs.map((image) => new Float32Array([mean(image, 8, 0, 4), mean(image, 20, 24, 4)])));
}

describe('occlusionMap', () => {
  it('splits the side into cells that cover it exactly', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => cellBounds(i, 7, 224))).toEqual([
      [0, 32],
      [32, 64],
      [64, 96],
      [96, 128],
      [128, 160],
      [160, 192],
      [192, 224],
    ]);
    expect(cellBounds(2, 3, 10)).toEqual([7, 10]);
  });

  it('fills only the cell asked for', () => {
    const image = new Float32Array(SIZE * SIZE * 3).fill(1);
    const out = occludeCell(image, SIZE, 7, 1, 2, 0);
    expect(out.reduce((n, v) => n + (v === 0 ? 1 : 0), 0)).toBe(4 * 4 * 3);
    expect(out[(4 * SIZE + 8) * 3]).toBe(0);
    expect(out[(4 * SIZE + 12) * 3]).toBe(1);
    expect(image.every((v) => v === 1)).toBe(true);
  });

  it('finds the cell the distance depends on, with one forward pass per cell plus the original', async () => {
    // Region A (x 8-11, y 0-3, cell row 0 col 2) is bright in the query and dark in the reference:
    // occluding it with the background (0) brings the query nearer; region B matches and occluding it pushes it away.
    const image = new Float32Array(SIZE * SIZE * 3);
    for (let y = 0; y < 4; y++) for (let x = 8; x < 12; x++) image[(y * SIZE + x) * 3] = 1;
    for (let y = 24; y < 28; y++) for (let x = 20; x < 24; x++) image[(y * SIZE + x) * 3] = 0.5;
    const calls: number[] = [];
    const map = await occlusionMap({
      image,
      size: SIZE,
      reference: [0, 0.5],
      grid: 7,
      fill: 0,
      embed: (inputs) => {
        calls.push(inputs.length);
        return regionEmbed(inputs);
      },
    });
    expect(calls).toEqual([50]);
    expect(map).toMatchObject({ rows: 7, cols: 7, forwardPasses: 50, baseDistance: 1 });
    expect(map.deltas[0]![2]).toBeCloseTo(-1);
    expect(map.deltas[6]![5]).toBeCloseTo(Math.sqrt(1 + 0.25) - 1);
    const others = map.deltas.flatMap((row, r) => row.filter((_, c) => !(r === 0 && c === 2) && !(r === 6 && c === 5)));
    expect(others.every((d) => d === 0)).toBe(true);
  });

  it('refuses an image of the wrong size', async () => {
    await expect(occlusionMap({ image: new Float32Array(10), size: SIZE, reference: [0], grid: 7, fill: 0, embed: regionEmbed })).rejects.toThrow(
      /expected 28x28x3/,
    );
  });
});
