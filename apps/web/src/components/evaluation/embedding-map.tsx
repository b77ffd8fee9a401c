import type { EvaluationMapPoint } from '@cbmir/contract';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { useApiClient } from '../../api/api-client.tsx';
import { drGradeLabel, drGradeName } from '../../domain/dr-grade.ts';
import { formatCount } from '../../domain/format.ts';

const SIZE = 600;
const PAD = 20;
const RADIUS = 4.5;
/** How close (in map units) the pointer must be to a point to pick it. */
const PICK_DISTANCE = 14;

const px = (v: number) => PAD + v * (SIZE - 2 * PAD);

export interface MapHighlights {
  /** SHA-256 of the last searched photograph, when known. */
  querySha256: string | null;
  /** Cases the last search returned. */
  resultIds: ReadonlySet<string>;
}

/**
 * The t-SNE map of an evaluation's query images, one point per image coloured by DR grade: neighbours on
 * the map are neighbours in the embedding, so grades that form their own regions are grades the model
 * tells apart. Hover (or arrow keys) shows the case's thumbnail; click (or Enter) opens the case.
 */
export function EmbeddingMap({ points, highlights }: { points: EvaluationMapPoint[]; highlights: MapHighlights }) {
  const client = useApiClient();
  const navigate = useNavigate();
  const svgRef = useRef<SVGSVGElement>(null);
  const [hiddenGrades, setHiddenGrades] = useState<Set<number>>(new Set());
  const [active, setActive] = useState<EvaluationMapPoint | null>(null);

  const counts = useMemo(() => {
    const byGrade = new Map<number, number>();
    for (const p of points) byGrade.set(p.grade, (byGrade.get(p.grade) ?? 0) + 1);
    return [...byGrade.entries()].sort(([a], [b]) => a - b);
  }, [points]);
  const visible = useMemo(() => points.filter((p) => !hiddenGrades.has(p.grade)), [points, hiddenGrades]);
  // Keyboard order: left to right, so arrow keys sweep across the map.
  const ordered = useMemo(() => [...visible].sort((a, b) => a.x - b.x || a.y - b.y), [visible]);
  const queryPoints = useMemo(
    () => (highlights.querySha256 ? points.filter((p) => p.sha256 === highlights.querySha256) : []),
    [points, highlights.querySha256],
  );
  const resultPoints = useMemo(() => points.filter((p) => p.imageId !== null && highlights.resultIds.has(p.imageId)), [points, highlights.resultIds]);

  useEffect(() => {
    if (active && hiddenGrades.has(active.grade)) setActive(null);
  }, [active, hiddenGrades]);

  function pick(event: MouseEvent<SVGSVGElement>): EvaluationMapPoint | null {
    const rect = svgRef.current?.getBoundingClientRect();
    if (!rect || rect.width === 0) return null;
    const mx = ((event.clientX - rect.left) / rect.width) * SIZE;
    const my = ((event.clientY - rect.top) / rect.height) * SIZE;
    let best: EvaluationMapPoint | null = null;
    let bestDistance = PICK_DISTANCE ** 2;
    for (const p of visible) {
      const d = (px(p.x) - mx) ** 2 + (px(p.y) - my) ** 2;
      if (d < bestDistance) {
        bestDistance = d;
        best = p;
      }
    }
    return best;
  }

  function open(point: EvaluationMapPoint | null) {
    if (point?.imageId) navigate(`/cases/${encodeURIComponent(point.imageId)}`);
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (ordered.length === 0) return;
    const index = active ? ordered.indexOf(active) : -1;
    const step = (delta: number) => {
      event.preventDefault();
      setActive(ordered[(index + delta + ordered.length) % ordered.length]!);
    };
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') step(1);
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') step(index < 0 ? 0 : -1);
    else if (event.key === 'Enter') open(active);
    else if (event.key === 'Escape') setActive(null);
  }

  const toggleGrade = (grade: number) =>
    setHiddenGrades((current) => {
      const next = new Set(current);
      if (next.has(grade)) next.delete(grade);
      else next.add(grade);
      return next;
    });

  return (
    <div className="embedding-map" data-testid="embedding-map">
      {/* biome-ignore lint/a11y/useSemanticElements: a keyboard-driven map widget (arrow keys move, Enter opens), not form fields */}
      <div
        className="embedding-map__canvas"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the map takes focus to receive those keys
        tabIndex={0}
        role="group"
        aria-roledescription="map"
        aria-label={`Embedding map of ${points.length} cases coloured by DR grade. Arrow keys move between cases, Enter opens one.`}
        onKeyDown={onKeyDown}
        onBlur={() => setActive(null)}
      >
        <svg
          ref={svgRef}
          viewBox={`0 0 ${SIZE} ${SIZE}`}
          className={`embedding-map__svg${active?.imageId ? ' embedding-map__svg--pointer' : ''}`}
          aria-hidden="true"
          onMouseMove={(event) => setActive(pick(event))}
          onMouseLeave={() => setActive(null)}
          onClick={(event) => open(pick(event))}
        >
          <rect x={0} y={0} width={SIZE} height={SIZE} className="embedding-map__bg" />
          {visible.map((p) => (
            <circle
              key={p.sha256}
              cx={px(p.x)}
              cy={px(p.y)}
              r={RADIUS}
              className={`map-point map-point--g${p.grade}`}
              data-testid="map-point"
              data-image-id={p.imageId ?? ''}
              data-grade={p.grade}
            />
          ))}
          {resultPoints.map((p) => (
            <circle key={`r-${p.sha256}`} cx={px(p.x)} cy={px(p.y)} r={RADIUS + 3.5} className="map-ring map-ring--result" data-testid="map-result" />
          ))}
          {queryPoints.map((p) => (
            <g key={`q-${p.sha256}`} data-testid="map-query" data-image-id={p.imageId ?? ''}>
              <circle cx={px(p.x)} cy={px(p.y)} r={RADIUS + 7} className="map-ring map-ring--query" />
              <circle cx={px(p.x)} cy={px(p.y)} r={RADIUS + 11} className="map-ring map-ring--query-outer" />
            </g>
          ))}
          {active && <circle cx={px(active.x)} cy={px(active.y)} r={RADIUS + 2.5} className={`map-point map-point--g${active.grade} map-point--active`} />}
        </svg>
        {active && (
          <MapTooltip point={active} thumbnailUrl={active.imageId ? client.thumbnailUrl(active.imageId) : null} isQuery={queryPoints.includes(active)} />
        )}
      </div>
      <div className="embedding-map__side">
        <fieldset className="legend">
          <legend>Grades shown</legend>
          {counts.map(([grade, count]) => (
            <label key={grade} className="legend-item">
              <input type="checkbox" checked={!hiddenGrades.has(grade)} onChange={() => toggleGrade(grade)} data-testid={`map-grade-${grade}`} />
              <span className={`legend-swatch legend-swatch--dot legend-swatch--g${grade}`} aria-hidden="true" />
              {grade} · {drGradeName(grade)} <span className="muted">({formatCount(count)})</span>
            </label>
          ))}
        </fieldset>
        <div className="legend legend--notes" data-testid="map-highlight-note">
          {queryPoints.length > 0 ? (
            <p>
              <span className="legend-swatch legend-swatch--query" aria-hidden="true" /> Your last searched photograph is on the map.
            </p>
          ) : highlights.querySha256 ? (
            <p className="muted">Your last searched photograph is not among the mapped images.</p>
          ) : (
            <p className="muted">Search with a photograph, then come back: it is marked here if it is among the mapped images.</p>
          )}
          {resultPoints.length > 0 && (
            <p>
              <span className="legend-swatch legend-swatch--result" aria-hidden="true" /> {resultPoints.length} of its similar cases are on the map.
            </p>
          )}
        </div>
        <p className="sr-status visually-hidden" aria-live="polite">
          {active ? `${drGradeLabel(active.grade)}${active.imageId ? ', press Enter to open the case' : ', not in the database'}` : ''}
        </p>
      </div>
    </div>
  );
}

function MapTooltip({ point, thumbnailUrl, isQuery }: { point: EvaluationMapPoint; thumbnailUrl: string | null; isQuery: boolean }) {
  // Keep the card inside the map: open it to the left of points on the right half, above points low down.
  const style = {
    left: point.x > 0.5 ? undefined : `calc(${(px(point.x) / SIZE) * 100}% + 14px)`,
    right: point.x > 0.5 ? `calc(${100 - (px(point.x) / SIZE) * 100}% + 14px)` : undefined,
    top: point.y > 0.6 ? undefined : `calc(${(px(point.y) / SIZE) * 100}% - 20px)`,
    bottom: point.y > 0.6 ? `calc(${100 - (px(point.y) / SIZE) * 100}% - 20px)` : undefined,
  };
  return (
    <div className="map-tooltip" style={style} data-testid="map-tooltip" aria-hidden="true">
      {thumbnailUrl ? (
        <img src={thumbnailUrl} alt="" width={120} height={120} data-testid="map-tooltip-image" />
      ) : (
        <div className="map-tooltip__none">not stored</div>
      )}
      <div className="map-tooltip__text">
        <span className="grade-badge" data-grade={point.grade}>
          <span className="grade-badge__number">{point.grade}</span> {drGradeName(point.grade)}
        </span>
        {isQuery && <strong>Your query</strong>}
        <span className="muted">{point.imageId ? 'Click to open the case' : 'Not in the database'}</span>
      </div>
    </div>
  );
}
