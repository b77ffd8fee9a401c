import type { CSSProperties } from 'react';
import type { EvaluationMetrics, EvaluationOverallMetrics } from '@cbmir/contract';
import { DR_GRADE_NAMES } from '../../domain/dr-grade.ts';
import { formatCount, formatMetric } from '../../domain/format.ts';
import { GradeBadge } from '../grade-badge.tsx';

type OverallKey = Exclude<keyof EvaluationOverallMetrics, 'queries'>;

/** The metrics in reading order, each with what it means (the contract's descriptions, shortened). */
export const METRIC_ROWS: { key: OverallKey; label: string; title: string }[] = [
  { key: 'map', label: 'MAP', title: 'Mean average precision: per query, the area under its precision-recall curve over the whole ranking' },
  { key: 'macroMap', label: 'Macro-MAP', title: 'Mean of the per-grade MAPs: every grade weighs the same, however rare' },
  { key: 'mrr', label: 'MRR', title: 'Mean reciprocal rank of the first case of the same grade' },
  { key: 'precisionAt1', label: 'Precision@1', title: 'Share of first results that have the query’s grade' },
  { key: 'precisionAt5', label: 'Precision@5', title: 'Share of the first 5 results that have the query’s grade' },
  { key: 'precisionAt10', label: 'Precision@10', title: 'Share of the first 10 results that have the query’s grade' },
  { key: 'recallAt10', label: 'Recall@10', title: 'Share of all same-grade cases found in the first 10 results' },
  { key: 'voteAccuracy', label: '10-NN vote accuracy', title: 'Share of queries whose 10 nearest neighbours, voting by 1/distance, give their grade' },
  { key: 'voteKappa', label: '10-NN vote kappa', title: 'Quadratic weighted kappa between the vote and the true grades: 1 perfect, 0 chance' },
];

/** Every metric beside what a random ranking of the same galleries scores: on skewed data chance is high. */
export function MetricTable({ metrics }: { metrics: EvaluationMetrics }) {
  return (
    <table className="data-table metric-table" data-testid="metric-table">
      <caption className="visually-hidden">Retrieval metrics of this model beside their chance levels</caption>
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col" className="numeric-col">
            Model
          </th>
          <th scope="col" className="numeric-col">
            Chance
          </th>
          <th scope="col" className="numeric-col">
            Above chance
          </th>
          <td aria-hidden="true" className="metric-bar-col" />
        </tr>
      </thead>
      <tbody>
        {METRIC_ROWS.map(({ key, label, title }) => {
          const value = metrics.overall[key];
          const chance = metrics.chance[key];
          const lift = value !== null && chance !== null ? value - chance : null;
          return (
            <tr key={key} data-testid="metric-row" data-metric={key}>
              <th scope="row">
                <abbr title={title}>{label}</abbr>
              </th>
              <td className="numeric-col numeric strong" data-testid="metric-value">
                {formatMetric(value)}
              </td>
              <td className="numeric-col numeric muted" data-testid="metric-chance">
                {formatMetric(chance)}
              </td>
              <td className={`numeric-col numeric ${lift === null ? '' : lift > 0 ? 'lift--up' : 'lift--down'}`}>
                {lift === null ? '—' : `${lift >= 0 ? '+' : '−'}${Math.abs(lift).toFixed(3)}`}
              </td>
              <td className="metric-bar-col" aria-hidden="true">
                <MetricBar value={value} chance={chance} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The value as a filled bar on [0, 1] with a tick at the chance level. */
function MetricBar({ value, chance }: { value: number | null; chance: number | null }) {
  const clamp = (v: number) => Math.min(1, Math.max(0, v)) * 100;
  return (
    <span className="metric-bar">
      {value !== null && <span className="metric-bar__fill" style={{ width: `${clamp(value)}%` }} />}
      {chance !== null && <span className="metric-bar__chance" style={{ left: `${clamp(chance)}%` }} />}
    </span>
  );
}

/** Per DR grade: how well each grade's cases find their own grade, against chance. */
export function GradeMetricTable({ metrics }: { metrics: EvaluationMetrics }) {
  const pair = (value: number | null, chance: number | null) => (
    <>
      <span className="strong">{formatMetric(value)}</span> <span className="muted">({formatMetric(chance)})</span>
    </>
  );
  return (
    <table className="data-table" data-testid="grade-metric-table">
      <caption className="table-caption">Per grade: model (chance)</caption>
      <thead>
        <tr>
          <th scope="col">Grade</th>
          <th scope="col" className="numeric-col">
            Queries
          </th>
          <th scope="col" className="numeric-col">
            MAP
          </th>
          <th scope="col" className="numeric-col">
            Precision@10
          </th>
          <th scope="col" className="numeric-col">
            <abbr title="Share of this grade's queries the 10-NN vote gives the right grade">Vote recall</abbr>
          </th>
        </tr>
      </thead>
      <tbody>
        {metrics.perGrade.map((row) => (
          <tr key={row.grade} data-testid="grade-metric-row">
            <th scope="row">
              <GradeBadge grade={row.grade} />
            </th>
            <td className="numeric-col numeric">{formatCount(row.count)}</td>
            <td className="numeric-col numeric">{pair(row.metrics.map, row.chance.map)}</td>
            <td className="numeric-col numeric">{pair(row.metrics.precisionAt10, row.chance.precisionAt10)}</td>
            <td className="numeric-col numeric">{pair(row.metrics.voteAccuracy, row.chance.voteAccuracy)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Which grade the 10 nearest neighbours vote for, per true grade: where the model confuses grades. */
export function VoteConfusion({ confusion }: { confusion: number[][] }) {
  const grades = confusion.map((_, i) => i);
  const rowTotals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  if (rowTotals.every((t) => t === 0)) return null;
  return (
    <table className="confusion" data-testid="vote-confusion">
      <caption className="table-caption">10-NN vote: true grade (rows) against voted grade (columns)</caption>
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">True grade</span>
          </th>
          {grades.map((g) => (
            <th key={g} scope="col" title={DR_GRADE_NAMES[g]}>
              {g}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {confusion.map((row, truth) => (
          <tr key={truth}>
            <th scope="row" title={DR_GRADE_NAMES[truth]}>
              {truth} <span className="muted">{DR_GRADE_NAMES[truth]}</span>
            </th>
            {row.map((count, voted) => {
              const share = rowTotals[truth] ? count / rowTotals[truth]! : 0;
              return (
                <td
                  key={voted}
                  className={`numeric${truth === voted ? ' confusion__hit' : ''}`}
                  style={{ '--share': share.toFixed(3) } as CSSProperties}
                  title={`${count} of ${rowTotals[truth]} grade-${truth} queries voted grade ${voted}`}
                >
                  {count}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
