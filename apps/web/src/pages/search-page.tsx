import type { SearchFilters } from '@cbmir/contract';
import { useEffect, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useSearchSession, type SearchSession } from '../api/search-session.tsx';
import { ImageDropZone } from '../components/image-drop-zone.tsx';
import { KSelector } from '../components/k-selector.tsx';
import { ResultGrid } from '../components/result-grid.tsx';
import { SearchFilterPanel } from '../components/search-filter-panel.tsx';
import { GradeSuggestionPanel } from '../components/grade-suggestion-panel.tsx';
import { ErrorMessage, LoadingMessage } from '../components/status-message.tsx';
import { filtersFromUrl, filtersKey, filtersToUrl } from '../domain/search-filter-params.ts';

export function SearchPage() {
  const { file, previewUrl, k, search, chooseFile, setK, setFilters, retry } = useSearchSession();
  const [params, setParams] = useSearchParams();
  // The URL is where the filters live (shareable, Back undoes a change); the session follows it.
  const urlKey = filtersKey(filtersFromUrl(params));
  const filters = useMemo(() => filtersFromUrl(new URLSearchParams(urlKey)), [urlKey]);
  useEffect(() => setFilters(filters), [filters, setFilters]);
  const changeFilters = (next: SearchFilters) => setParams((current) => filtersToUrl(current, next));

  useEffect(() => {
    document.title = 'Search · cbmir';
  }, []);

  return (
    <div className="search-layout">
      <section className="panel query-panel" aria-labelledby="query-heading">
        <h1 id="query-heading" className="panel__title">
          Find similar cases
        </h1>
        <p className="panel__intro">
          Upload a colour fundus photograph to retrieve the most similar graded cases in the index.
        </p>
        <ImageDropZone file={file} previewUrl={previewUrl} onFile={chooseFile} />
        <KSelector value={k} onChange={setK} />
        <SearchFilterPanel filters={filters} onChange={changeFilters} />
        {file && (
          <button
            type="button"
            className="button button--secondary"
            onClick={retry}
            disabled={search.isPending}
            data-testid="search-again"
          >
            Search again
          </button>
        )}
      </section>

      <section className="results-panel" aria-labelledby="results-heading">
        <h2 id="results-heading" className="results-panel__title">
          Similar cases
        </h2>
        <SearchOutcome search={search} gradeFiltered={filters.grade !== undefined} />
      </section>
    </div>
  );
}

function SearchOutcome({ search, gradeFiltered }: { search: SearchSession['search']; gradeFiltered: boolean }) {
  return (
    <>
      {/* Always mounted, so screen readers announce each change of state, not only the first. */}
      <div className="live-region" aria-live="polite" data-testid="search-status">
        {search.isPending && <LoadingMessage testId="search-loading">Embedding and searching…</LoadingMessage>}
        {search.isError && (
          <ErrorMessage
            error={search.error}
            title="The search could not be run"
            testId="search-error"
            action={
              <p className="status__hint">Choose a JPEG, PNG, TIFF, WebP or DICOM (JPEG Baseline or uncompressed RGB) fundus photograph and try again.</p>
            }
          />
        )}
        {search.isSuccess && (
          <p className="results-panel__meta" data-testid="results-meta">
            {search.data.results.length} nearest {search.data.results.length === 1 ? 'case' : 'cases'} by{' '}
            <abbr title="Euclidean distance between embeddings; smaller is more similar">L2</abbr> distance,
            ranked by model {search.data.model.name}
            {search.data.matching !== null && <>, among the {search.data.matching} indexed {search.data.matching === 1 ? 'case' : 'cases'} that pass the filters</>}.
          </p>
        )}
        {search.isSuccess && search.data.shortfall && search.data.results.length > 0 && (
          <p className="status__hint" data-testid="search-shortfall">
            {search.data.shortfall.message}
          </p>
        )}
        {search.isIdle && (
          <p className="empty-state" data-testid="results-empty">
            Results appear here, most similar first, with each case’s DR grade, eye and distance.
          </p>
        )}
      </div>
      {search.isSuccess && search.data.results.length > 0 && <GradeSuggestionPanel response={search.data} gradeFiltered={gradeFiltered} />}
      {search.isSuccess && (
        <ResultGrid hits={search.data.results} label="Similar cases, most similar first" emptyMessage={search.data.shortfall?.message} />
      )}
    </>
  );
}
