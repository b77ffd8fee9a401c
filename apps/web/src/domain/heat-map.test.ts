import { describe, expect, it } from 'vitest';
import { heatCells, heatColour, strongestCell } from './heat-map.ts';

describe('heat map', () => {
  const map = {
    grid: { rows: 2, cols: 3, inputSize: 224, fill: 'background' },
    deltas: [
      [0, 0.5, -0.25],
      [1, 0, 0],
    ],
  };

  it('lays the cells over the input as the server cut them, weighted by the largest change', () => {
    const cells = heatCells(map);
    expect(cells).toHaveLength(6);
    expect(cells[1]).toMatchObject({ row: 0, col: 1, left: 75 / 224, width: (149 - 75) / 224, top: 0, height: 0.5, weight: 0.5 });
    expect(cells.map((cell) => cell.weight)).toEqual([0, 0.5, -0.25, 1, 0, 0]);
    expect(strongestCell(cells)).toMatchObject({ row: 1, col: 0 });
  });

  it('colours shared regions warm, distinguishing ones cool, unchanged ones not at all', () => {
    expect(heatColour(1)).toBe('rgba(255, 30, 0, 0.700)');
    expect(heatColour(-0.5)).toBe('rgba(30, 110, 255, 0.350)');
    expect(heatColour(0)).toBe('rgba(0, 0, 0, 0)');
  });

  it('has no strongest cell when nothing is shared, and no weights for a flat map', () => {
    expect(
      strongestCell(
        heatCells({
          ...map,
          deltas: [
            [0, -1, 0],
            [0, 0, 0],
          ],
        }),
      ),
    ).toBeNull();
    expect(
      heatCells({
        ...map,
        deltas: [
          [0, 0, 0],
          [0, 0, 0],
        ],
      }).every((cell) => cell.weight === 0),
    ).toBe(true);
  });
});
