import type { Explanation, ImageRecord, SearchHit } from '@cbmir/contract';
import type { UseQueryResult } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useApiClient } from '../api/api-client.tsx';
import { useSearchSession } from '../api/search-session.tsx';
import { useExplanation, type CompareQuery } from '../api/use-explanation.ts';
import { useImage } from '../api/use-image.ts';
import { usePreprocessedUpload } from '../api/use-preprocessed-upload.ts';
import { useSimilarCases } from '../api/use-similar-cases.ts';
import { ExplanationOverlay } from '../components/explanation-overlay.tsx';
import { GradeBadge } from '../components/grade-badge.tsx';
import { ErrorMessage, LoadingMessage } from '../components/status-message.tsx';
import { ZoomPane } from '../components/zoom-pane.tsx';
import { compareUrl } from '../domain/compare-url.ts';
import { formatDistance } from '../domain/distance.ts';
import { drGradeLabel } from '../domain/dr-grade.ts';
import { eyeLabel, eyePhrase, type Eye } from '../domain/eye.ts';
import { panBy, UNZOOMED, zoomAt, type ZoomState } from '../domain/zoom.ts';
import './compare-page.css';

const SIMILAR_K = 10;
const ZOOM_STEP = 1.5;

/**
 * The query and one result side by side: original or the network's view, zoomed and panned together, with
 * the occlusion map of each over it. ← and → walk the ranked list. /compare?result=<id>[&query=<case id>];
 * without `query`, the query is the photograph uploaded in this tab's search.
 */
export function ComparePage() {
  const [params] = useSearchParams();
  const resultId = params.get('result');
  const queryId = params.get('query');
  const session = useSearchSession();

  useEffect(() => {
    document.title = 'Compare · cbmir';
  }, []);

  if (!resultId) return <Gone message="No result was chosen to compare." />;
  if (queryId) return <StoredQueryCompare queryId={queryId} resultId={resultId} />;
  if (!session.file) {
    return (
      <Gone message="The photograph you searched with is no longer in this tab (it is never stored). Search with it again, then choose Compare on a result." />
    );
  }
  return (
    <Compare
      query={{ kind: 'upload', file: session.file }}
      queryOriginal={session.previewUrl}
      queryEye={session.search.data?.query?.eye ?? null}
      hits={session.search.data?.results ?? []}
      resultId={resultId}
    />
  );
}

function StoredQueryCompare({ queryId, resultId }: { queryId: string; resultId: string }) {
  const session = useSearchSession();
  // The list the clinician came from: the search page's (with its filters) when it searched with this case.
  const fromSearch = session.caseId === queryId && session.search.isSuccess ? session.search.data.results : null;
  const similar = useSimilarCases(queryId, SIMILAR_K);
  const record = useImage(queryId);
  if (record.isError) return <ErrorMessage error={record.error} title="The query case could not be loaded" testId="compare-error" />;
  return (
    <Compare
      query={{ kind: 'stored', id: queryId }}
      queryOriginal={record.data?.originalUrl ?? null}
      queryRecord={record.data}
      queryEye={record.data?.eye ?? null}
      hits={fromSearch ?? similar.data?.results ?? []}
      resultId={resultId}
    />
  );
}

function Gone({ message }: { message: string }) {
  return (
    <div className="status status--error" role="alert" data-testid="compare-gone">
      <p className="status__title">Nothing to compare</p>
      <p className="status__message">{message}</p>
      <p>
        <Link to="/">Start a search</Link>
      </p>
    </div>
  );
}

function Compare({
  query,
  queryOriginal,
  queryRecord,
  queryEye,
  hits,
  resultId,
}: {
  query: CompareQuery;
  queryOriginal: string | null;
  queryRecord?: ImageRecord | undefined;
  queryEye: Eye;
  hits: SearchHit[];
  resultId: string;
}) {
  const client = useApiClient();
  const [, setParams] = useSearchParams();
  const [view, setView] = useState<'original' | 'network'>('original');
  const [overlay, setOverlay] = useState(false);
  const [zoom, setZoom] = useState<ZoomState>(UNZOOMED);
  const index = hits.findIndex((hit) => hit.imageId === resultId);
  const hit = index >= 0 ? hits[index]! : null;
  const result = useImage(resultId);
  const queryMap = useExplanation(query, resultId, 'query', overlay);
  const resultMap = useExplanation(query, resultId, 'case', overlay);
  const uploadView = usePreprocessedUpload(query.kind === 'upload' ? query.file : null, view === 'network');

  const go = useCallback(
    (step: number) => {
      // From the address as it is now: two quick key presses must not both start from the same render.
      const current = hits.findIndex((h) => h.imageId === new URLSearchParams(window.location.search).get('result'));
      const next = hits[current + step];
      if (current < 0 || !next) return;
      const url = new URL(compareUrl(next.imageId, query.kind === 'stored' ? query.id : null), window.location.origin);
      setParams(url.searchParams, { replace: true });
    },
    [hits, query, setParams],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // Typing, and the view radios (whose own arrow keys choose the view), keep their keys.
      const target = event.target as HTMLElement | null;
      const type = target instanceof HTMLInputElement ? target.type : null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && type !== 'checkbox' && type !== 'radio') return;
      if (type === 'radio' && event.key.startsWith('Arrow')) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const actions: Record<string, () => void> = {
        ArrowRight: () => go(1),
        ArrowLeft: () => go(-1),
        '+': () => setZoom((z) => zoomAt(z, ZOOM_STEP)),
        '=': () => setZoom((z) => zoomAt(z, ZOOM_STEP)),
        '-': () => setZoom((z) => zoomAt(z, 1 / ZOOM_STEP)),
        '0': () => setZoom(UNZOOMED),
      };
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go]);

  const onZoom = (factor: number, x: number, y: number) => setZoom((z) => zoomAt(z, factor, x, y));
  const onPan = (dx: number, dy: number) => setZoom((z) => panBy(z, dx, dy));
  const queryNetwork = query.kind === 'upload' ? uploadView.url : client.preprocessedUrl(query.id);
  const rank = index >= 0 ? index + 1 : null;
  const backTo = query.kind === 'stored' && !hits.length ? `/cases/${encodeURIComponent(query.id)}` : '/';

  return (
    <div className="compare-layout" data-testid="compare-page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to={backTo}>← Back to the results</Link>
      </nav>
      <h1 className="compare-layout__title">Compare with {rank ? `result #${rank}` : 'a result'}</h1>

      <div className="compare-toolbar" role="toolbar" aria-label="Compare controls">
        <div className="compare-toolbar__group">
          <button type="button" className="button button--secondary" onClick={() => go(-1)} disabled={index <= 0} data-testid="compare-previous">
            ← Previous
          </button>
          <span className="compare-toolbar__position" data-testid="compare-position" aria-live="polite">
            {rank ? `${rank} of ${hits.length}` : 'not in the ranked list'}
          </span>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => go(1)}
            disabled={index < 0 || index >= hits.length - 1}
            data-testid="compare-next"
          >
            Next →
          </button>
        </div>
        <fieldset className="compare-toolbar__group compare-toolbar__views">
          <legend className="visually-hidden">Image shown</legend>
          <label>
            <input type="radio" name="compare-view" checked={view === 'original'} onChange={() => setView('original')} data-testid="view-original" /> Original
          </label>
          <label>
            <input type="radio" name="compare-view" checked={view === 'network'} onChange={() => setView('network')} data-testid="view-network" /> Network’s
            view
          </label>
        </fieldset>
        <label className="compare-toolbar__group compare-toolbar__toggle">
          <input type="checkbox" checked={overlay} onChange={(event) => setOverlay(event.target.checked)} data-testid="overlay-toggle" /> Explanation overlay
        </label>
        <fieldset className="compare-toolbar__group">
          <legend className="visually-hidden">Zoom</legend>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => setZoom((z) => zoomAt(z, 1 / ZOOM_STEP))}
            aria-label="Zoom out"
            data-testid="zoom-out"
          >
            −
          </button>
          <span className="compare-toolbar__zoom numeric" data-testid="zoom-level">
            {Math.round(zoom.scale * 100)}%
          </span>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => setZoom((z) => zoomAt(z, ZOOM_STEP))}
            aria-label="Zoom in"
            data-testid="zoom-in"
          >
            +
          </button>
          <button type="button" className="button button--secondary" onClick={() => setZoom(UNZOOMED)} data-testid="zoom-reset">
            Reset
          </button>
        </fieldset>
      </div>
      <p className="compare-hint" data-testid="compare-hint">
        ← → move through the ranked list; wheel or + − zoom both images, drag pans them together.
      </p>

      <div className="compare-panes">
        <ComparePane
          title="Query"
          testId="query-pane"
          view={view}
          original={queryOriginal}
          fallback={query.kind === 'stored' ? client.thumbnailUrl(query.id) : null}
          network={queryNetwork}
          alt={`The query photograph, ${eyePhrase(queryEye)}`}
          zoom={zoom}
          onZoom={onZoom}
          onPan={onPan}
          map={overlay ? queryMap : null}
        >
          <Fact label="DR grade" testId="query-grade">
            {queryRecord ? <GradeBadge grade={queryRecord.grade} /> : 'not graded (your photograph)'}
          </Fact>
          <Fact label="Eye" testId="query-eye">
            {eyeLabel(queryEye)}
          </Fact>
          <Fact label="Source" testId="query-source">
            {queryRecord ? queryRecord.source : 'uploaded in this search'}
          </Fact>
        </ComparePane>
        <ComparePane
          title={rank ? `Result #${rank}` : 'Result'}
          testId="result-pane"
          view={view}
          original={result.data?.originalUrl ?? null}
          fallback={client.thumbnailUrl(resultId)}
          network={client.preprocessedUrl(resultId)}
          alt={`Result ${rank ?? ''}: ${result.data ? `DR grade ${drGradeLabel(result.data.grade)}, ${eyePhrase(result.data.eye)}` : 'a stored case'}`}
          zoom={zoom}
          onZoom={onZoom}
          onPan={onPan}
          map={overlay ? resultMap : null}
        >
          <Fact label="DR grade" testId="result-grade">
            {result.data ? <GradeBadge grade={result.data.grade} /> : '…'}
          </Fact>
          <Fact label="Eye" testId="result-eye">
            {result.data ? eyeLabel(result.data.eye) : '…'}
          </Fact>
          <Fact label="Source" testId="result-source">
            {result.data?.source ?? '…'}
          </Fact>
          {hit && (
            <Fact label="L2 distance" testId="result-distance">
              <span className="numeric">{formatDistance(hit.distance)}</span>
            </Fact>
          )}
          <p className="compare-pane__link">
            <Link to={`/cases/${encodeURIComponent(resultId)}`}>Open this case</Link>
          </p>
        </ComparePane>
      </div>
      {result.isError && <ErrorMessage error={result.error} title="The result could not be loaded" testId="compare-error" />}
      {overlay && <ExplanationStatus maps={[queryMap, resultMap]} />}
    </div>
  );
}

function ComparePane({
  title,
  testId,
  view,
  original,
  fallback,
  network,
  alt,
  zoom,
  onZoom,
  onPan,
  map,
  children,
}: {
  title: string;
  testId: string;
  view: 'original' | 'network';
  original: string | null;
  fallback: string | null;
  network: string | null;
  alt: string;
  zoom: ZoomState;
  onZoom(factor: number, x: number, y: number): void;
  onPan(dx: number, dy: number): void;
  map: UseQueryResult<Explanation, Error> | null;
  children: React.ReactNode;
}) {
  // Browsers cannot draw TIFF (or DICOM) originals: the thumbnail, or else the network's view, stands in.
  const [failed, setFailed] = useState<ReadonlySet<string>>(new Set());
  const originalSrc = original && !failed.has(original) ? original : fallback && !failed.has(fallback) ? fallback : null;
  const src = view === 'network' || !originalSrc ? network : originalSrc;
  const shown = src === network ? 'network' : 'original';
  return (
    <section className="panel compare-pane" aria-label={title} data-testid={`${testId}-section`}>
      <h2 className="compare-pane__title">
        {title} <span className="compare-pane__view">{shown === 'network' ? 'network’s view' : 'original'}</span>
      </h2>
      {src ? (
        <ZoomPane
          key={src}
          src={src}
          alt={shown === 'network' ? `${alt} (the network’s view: preprocessed input)` : alt}
          zoom={zoom}
          onZoom={onZoom}
          onPan={onPan}
          testId={testId}
          onImageError={() => setFailed((before) => new Set(before).add(src))}
          overlay={map?.data ? <ExplanationOverlay map={map.data} view={shown} /> : null}
        />
      ) : (
        <div className="zoom-pane zoom-pane--empty" data-testid={testId}>
          <span className="spinner" aria-hidden="true" />
        </div>
      )}
      <dl className="compare-pane__facts">{children}</dl>
    </section>
  );
}

function Fact({ label, testId, children }: { label: string; testId: string; children: React.ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

/** What the overlay shows, in words, and how long it took; or that it is being computed, or why it failed. */
function ExplanationStatus({ maps }: { maps: UseQueryResult<Explanation, Error>[] }) {
  const failed = maps.find((m) => m.isError);
  const done = maps.filter((m) => m.data).map((m) => m.data!);
  return (
    <div className="compare-explanation live-region" aria-live="polite" data-testid="explanation-status">
      {failed && (
        <ErrorMessage
          error={failed.error}
          title="The explanation could not be computed"
          testId="explanation-error"
          action={<p className="status__hint">If the case was removed, go back and search again; otherwise try again in a moment.</p>}
        />
      )}
      {!failed && done.length < maps.length && (
        <LoadingMessage testId="explanation-loading">
          Covering each of 7 × 7 regions in turn and measuring the distance again (50 images per side)…
        </LoadingMessage>
      )}
      {done.length === maps.length && (
        <p data-testid="explanation-legend">
          <span className="heat-legend heat-legend--warm" aria-hidden="true" /> Warm: covering this region moves the pair apart, so the similarity rests on it.{' '}
          <span className="heat-legend heat-legend--cool" aria-hidden="true" /> Blue: covering it brings them closer. Each image is measured against the other’s
          embedding (L2 distance {done[0]!.baseDistance.toFixed(3)}); model {done[0]!.modelName}, computed in{' '}
          {done.map((m) => `${(m.computeMs / 1000).toFixed(1)} s`).join(' and ')}
          {done.some((m) => m.cached) ? ' (from the cache)' : ''}. An explanation of the model’s view, not a diagnosis.
        </p>
      )}
    </div>
  );
}
