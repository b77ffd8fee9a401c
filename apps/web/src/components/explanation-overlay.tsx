import type { Explanation } from '@cbmir/contract';
import { heatCells, strongestCell } from '../domain/heat-map.ts';

/**
 * An occlusion map drawn over its image: over the whole network view, or over the square of the original
 * the network input was cut from (`region`). Decorative to assistive technology; the page states the result
 * in words.
 */
export function ExplanationOverlay({ map, view }: { map: Explanation; view: 'original' | 'network' }) {
  const cells = heatCells(map);
  const strongest = strongestCell(cells);
  const box = view === 'network' ? { left: 0, top: 0, width: 1, height: 1 } : map.region;
  return (
    <div
      className="heat-overlay"
      data-testid="heat-overlay"
      data-side={map.occluded.side}
      aria-hidden="true"
      style={{ left: pct(box.left), top: pct(box.top), width: pct(box.width), height: pct(box.height) }}
    >
      {cells.map((cell) => (
        <span
          key={`${cell.row}-${cell.col}`}
          className={cell === strongest ? 'heat-overlay__cell heat-overlay__cell--strongest' : 'heat-overlay__cell'}
          data-testid="heat-cell"
          data-delta={cell.delta}
          style={{ left: pct(cell.left), top: pct(cell.top), width: pct(cell.width), height: pct(cell.height), background: cell.colour }}
        />
      ))}
    </div>
  );
}

const pct = (fraction: number) => `${(fraction * 100).toFixed(3)}%`;
