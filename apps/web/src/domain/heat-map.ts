import type { Explanation } from '@cbmir/contract';

/** One cell of an occlusion map, ready to draw: where it is (fractions of the network input) and its colour. */
export interface HeatCell {
  row: number;
  col: number;
  left: number;
  top: number;
  width: number;
  height: number;
  delta: number;
  /** delta over the map's largest |delta|, in [-1, 1] */
  weight: number;
  colour: string;
}

/**
 * Cells whose occlusion pushes the pair apart (delta > 0: what the two share) are warm, cells whose occlusion
 * brings them together (what sets them apart) cool, in proportion to the map's largest change; an unchanged
 * cell is transparent. The grid matches the server's cell bounds (round(i * size / grid)).
 */
export function heatCells(map: Pick<Explanation, 'deltas' | 'grid'>): HeatCell[] {
  const { rows, cols, inputSize } = map.grid;
  const largest = Math.max(...map.deltas.flat().map(Math.abs));
  const edge = (i: number, n: number) => Math.round((i * inputSize) / n) / inputSize;
  return map.deltas.flatMap((line, row) =>
    line.map((delta, col) => {
      const weight = largest > 0 ? delta / largest : 0;
      return {
        row,
        col,
        left: edge(col, cols),
        top: edge(row, rows),
        width: edge(col + 1, cols) - edge(col, cols),
        height: edge(row + 1, rows) - edge(row, rows),
        delta,
        weight,
        colour: heatColour(weight),
      };
    }),
  );
}

/** Warm (orange to red) for positive weights, blue for negative; opacity grows with |weight|. */
export function heatColour(weight: number): string {
  const strength = Math.min(1, Math.abs(weight));
  const alpha = (0.7 * strength).toFixed(3);
  if (weight > 0) return `rgba(255, ${Math.round(200 - 170 * strength)}, 0, ${alpha})`;
  if (weight < 0) return `rgba(30, 110, 255, ${alpha})`;
  return 'rgba(0, 0, 0, 0)';
}

/** The cell that holds most of what the pair shares: the largest positive change, or null when none is. */
export function strongestCell(cells: HeatCell[]): HeatCell | null {
  return cells.reduce<HeatCell | null>((best, cell) => (cell.delta > 0 && (!best || cell.delta > best.delta) ? cell : best), null);
}
