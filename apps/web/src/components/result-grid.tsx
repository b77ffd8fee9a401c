import type { SearchHit } from '@cbmir/contract';
import type { ReactNode } from 'react';
import { drGradeName } from '../domain/dr-grade.ts';
import { ResultCard } from './result-card.tsx';

/** Ranked cases, nearest first, as the server ordered them. */
export function ResultGrid({
  hits,
  label,
  emptyMessage,
  compareHref,
  cardActions,
}: {
  hits: SearchHit[];
  label: string;
  emptyMessage?: string | undefined;
  /** The compare view of a result with the query; none: no Compare links. */
  compareHref?: ((imageId: string) => string) | undefined;
  /** Controls under each card (e.g. "more / less like this"). */
  cardActions?: ((hit: SearchHit, rank: number) => ReactNode) | undefined;
}) {
  if (hits.length === 0) {
    return (
      <p className="empty-state" data-testid="no-results">
        {emptyMessage ?? 'No indexed cases to compare with yet. Ingest or import images, then search again.'}
      </p>
    );
  }
  return (
    <>
      <GradeSummary hits={hits} />
      <ol className="result-grid" aria-label={label} data-testid="result-grid">
        {hits.map((hit, i) => (
          <ResultCard key={hit.imageId} hit={hit} rank={i + 1} compareHref={compareHref?.(hit.imageId)} actions={cardActions?.(hit, i + 1)} />
        ))}
      </ol>
    </>
  );
}

/** How the retrieved neighbours are graded: the first thing a reader wants from a ranked list. */
function GradeSummary({ hits }: { hits: SearchHit[] }) {
  const counts = new Map<number | null, number>();
  for (const hit of hits) counts.set(hit.grade, (counts.get(hit.grade) ?? 0) + 1);
  const order = [0, 1, 2, 3, 4, null].filter((g) => counts.has(g));
  return (
    <p className="grade-summary" data-testid="grade-summary">
      <span className="grade-summary__label">Grades among these cases:</span>
      {order.map((grade) => (
        <span key={String(grade)} className="grade-summary__item" data-grade={grade ?? 'unknown'}>
          {drGradeName(grade)} <strong>{counts.get(grade)}</strong>
        </span>
      ))}
    </p>
  );
}
