import type { SearchHit } from '@cbmir/contract';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { formatDistance } from '../domain/distance.ts';
import { drGradeName } from '../domain/dr-grade.ts';
import { eyeLabel, eyePhrase } from '../domain/eye.ts';
import { GradeBadge } from './grade-badge.tsx';

/**
 * `compareHref`: where the compare view of this result with the query is (none: no Compare link). `actions`: the
 * card's own controls (e.g. refine marks), beside its link rather than inside it.
 */
export function ResultCard({ hit, rank, compareHref, actions }: { hit: SearchHit; rank: number; compareHref?: string | undefined; actions?: ReactNode }) {
  const alt = `Fundus photograph of similar case ${rank}: DR grade ${drGradeName(hit.grade)}, ${eyePhrase(hit.eye)}`;
  return (
    <li
      className="result-card"
      data-testid="result-card"
      data-image-id={hit.imageId}
      data-distance={hit.distance}
      data-grade={hit.grade ?? 'unknown'}
      data-eye={hit.eye ?? 'unknown'}
    >
      <Link
        to={`/cases/${encodeURIComponent(hit.imageId)}`}
        className="result-card__link"
        aria-label={`Similar case ${rank}: DR grade ${drGradeName(hit.grade)}, ${eyePhrase(hit.eye)}, L2 distance ${formatDistance(hit.distance)}`}
      >
        <div className="result-card__image">
          <img src={hit.thumbnailUrl} alt={alt} loading="lazy" decoding="async" />
          <span className="result-card__rank" data-testid="rank">
            #{rank}
          </span>
        </div>
        <div className="result-card__body">
          <GradeBadge grade={hit.grade} />
          <dl className="result-card__facts">
            <div>
              <dt>Eye</dt>
              <dd data-testid="eye">{eyeLabel(hit.eye)}</dd>
            </div>
            <div>
              <dt>
                <abbr title="Euclidean distance between embeddings; smaller is more similar">L2</abbr> distance
              </dt>
              <dd className="numeric" data-testid="distance">
                {formatDistance(hit.distance)}
              </dd>
            </div>
          </dl>
        </div>
      </Link>
      {compareHref && (
        <Link
          to={compareHref}
          className="result-card__compare"
          data-testid="compare-link"
          aria-label={`Compare similar case ${rank} with the query side by side`}
        >
          Compare side by side
        </Link>
      )}
      {actions}
    </li>
  );
}
