import type { EvaluationPrCurve } from '@cbmir/contract';
import { useId, useState } from 'react';
import { drGradeName } from '../../domain/dr-grade.ts';
import { formatMetric } from '../../domain/format.ts';

const WIDTH = 440;
const HEIGHT = 320;
const MARGIN = { top: 14, right: 16, bottom: 44, left: 52 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

const sx = (recall: number) => MARGIN.left + recall * PLOT_W;
const sy = (precision: number) => MARGIN.top + (1 - precision) * PLOT_H;

function linePath(recall: number[], precision: number[]): string {
  return recall
    .map((r, i) => ({ r, p: precision[i] }))
    .filter((point): point is { r: number; p: number } => point.p !== undefined && Number.isFinite(point.p))
    .map(({ r, p }, i) => `${i === 0 ? 'M' : 'L'}${sx(r).toFixed(1)},${sy(p).toFixed(1)}`)
    .join(' ');
}

/**
 * Mean interpolated precision against recall, overall and per grade, over the flat line a random ranking
 * would draw. Series can be switched off in the legend; the numbers are in a table below for screen readers.
 */
export function PrCurveChart({ curve }: { curve: EvaluationPrCurve }) {
  const titleId = useId();
  const descId = useId();
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const toggle = (key: string) =>
    setHidden((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  const series = [
    { key: 'all', label: 'All queries', className: 'pr-line pr-line--all', precision: curve.precision },
    ...curve.perGrade.map((g) => ({
      key: `g${g.grade}`,
      label: `Grade ${g.grade} · ${drGradeName(g.grade)}`,
      className: `pr-line pr-line--g${g.grade}`,
      precision: g.precision,
    })),
  ];

  return (
    <figure className="chart" data-testid="pr-curve">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className="chart__svg" role="img" aria-labelledby={`${titleId} ${descId}`}>
        <title id={titleId}>Precision-recall curves</title>
        <desc id={descId}>
          Mean interpolated precision at recall 0 to 1, for all queries and for each grade
          {curve.chancePrecision !== null ? `; a random ranking scores ${formatMetric(curve.chancePrecision)} everywhere.` : '.'}
        </desc>
        {TICKS.map((t) => (
          <g key={t} className="chart__grid">
            <line x1={sx(0)} x2={sx(1)} y1={sy(t)} y2={sy(t)} />
            <line x1={sx(t)} x2={sx(t)} y1={sy(0)} y2={sy(1)} />
            <text x={sx(0) - 8} y={sy(t)} className="chart__tick" textAnchor="end" dominantBaseline="middle">
              {t.toFixed(1)}
            </text>
            <text x={sx(t)} y={sy(0) + 16} className="chart__tick" textAnchor="middle">
              {t.toFixed(1)}
            </text>
          </g>
        ))}
        <rect x={sx(0)} y={sy(1)} width={PLOT_W} height={PLOT_H} className="chart__frame" />
        <text x={sx(0.5)} y={HEIGHT - 6} className="chart__axis-label" textAnchor="middle">
          Recall
        </text>
        <text x={14} y={sy(0.5)} className="chart__axis-label" textAnchor="middle" transform={`rotate(-90 14 ${sy(0.5)})`}>
          Precision
        </text>
        {curve.chancePrecision !== null && !hidden.has('chance') && (
          <line
            x1={sx(0)}
            x2={sx(1)}
            y1={sy(curve.chancePrecision)}
            y2={sy(curve.chancePrecision)}
            className="pr-line pr-line--chance"
            data-testid="pr-chance"
          />
        )}
        {/* Per-grade lines under the overall one, which is drawn last so it stays readable. */}
        {[...series.slice(1), series[0]!]
          .filter((s) => !hidden.has(s.key))
          .map((s) => (
            <path key={s.key} d={linePath(curve.recall, s.precision)} className={s.className} data-testid="pr-series" data-series={s.key} />
          ))}
      </svg>
      <figcaption className="chart__legend">
        {series.map((s) => (
          <label key={s.key} className="legend-item">
            <input type="checkbox" checked={!hidden.has(s.key)} onChange={() => toggle(s.key)} />
            <span className={`legend-swatch legend-swatch--line ${s.key === 'all' ? 'legend-swatch--all' : `legend-swatch--${s.key}`}`} aria-hidden="true" />
            {s.label}
          </label>
        ))}
        {curve.chancePrecision !== null && (
          <label className="legend-item">
            <input type="checkbox" checked={!hidden.has('chance')} onChange={() => toggle('chance')} />
            <span className="legend-swatch legend-swatch--line legend-swatch--chance" aria-hidden="true" />
            Chance ({formatMetric(curve.chancePrecision)})
          </label>
        )}
      </figcaption>
      <details className="chart__data">
        <summary>Curve values as a table</summary>
        <div className="table-scroll">
          <table className="data-table data-table--dense">
            <thead>
              <tr>
                <th scope="col">Recall</th>
                {series.map((s) => (
                  <th key={s.key} scope="col" className="numeric-col">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {curve.recall.map((r, i) => (
                <tr key={r}>
                  <th scope="row" className="numeric">
                    {r.toFixed(2)}
                  </th>
                  {series.map((s) => (
                    <td key={s.key} className="numeric-col numeric">
                      {formatMetric(s.precision[i])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
