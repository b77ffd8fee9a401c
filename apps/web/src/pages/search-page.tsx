import type { SearchFilters } from '@cbmir/contract';
import { useEffect, useMemo, useRef } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useApiClient } from '../api/api-client.tsx';
import { useSearchSession, type SearchSession } from '../api/search-session.tsx';
import { ImageDropZone } from '../components/image-drop-zone.tsx';
import { KSelector } from '../components/k-selector.tsx';
import { ResultGrid } from '../components/result-grid.tsx';
import { SearchFilterPanel } from '../components/search-filter-panel.tsx';
import { GradeSuggestionPanel } from '../components/grade-suggestion-panel.tsx';
import { RefineControls, RefineMarks } from '../components/refine-controls.tsx';
import { QueryRegionSelector } from '../components/region-selector.tsx';
import { useRefine } from '../api/use-refine.ts';
import { ErrorMessage, LoadingMessage } from '../components/status-message.tsx';
import { filtersFromUrl, filtersKey, filtersToUrl, matchingText } from '../domain/search-filter-params.ts';
import { compareUrl } from '../domain/compare-url.ts';

export function SearchPage() {
  const { file, caseId, previewUrl, k, search, chooseFile, chooseCase, setK, setFilters, retry } = useSearchSession();
  const [params, setParams] = useSearchParams();
  // The URL is where the filters live (shareable, Back undoes a change); the session follows it.
  const urlKey = filtersKey(filtersFromUrl(params));
  const filters = useMemo(() => filtersFromUrl(new URLSearchParams(urlKey)), [urlKey]);
  const changeFilters = (next: SearchFilters) => setParams((current) => filtersToUrl(current, next));
  // ?case=<id>: search with a stored case ("Search with this case" on its page); a chosen file replaces it.
  const caseParam = params.get('case');
  // One effect, so a new case and new filters in one navigation start one search, not two.
  const startedCase = useRef<string | null>(null);
  useEffect(() => {
    if (caseParam && caseParam !== caseId && caseParam !== startedCase.current) {
      startedCase.current = caseParam;
      chooseCase(caseParam, filters);
    } else {
      setFilters(filters);
    }
  }, [caseParam, caseId, chooseCase, filters, setFilters]);
  const chooseUpload = (next: File) => {
    chooseFile(next);
    if (caseParam) {
      setParams((current) => {
        const without = new URLSearchParams(current);
        without.delete('case');
        return without;
      });
    }
  };

  useEffect(() => {
    document.title = 'Search · cbmir';
  }, []);

  return (
    <div className="search-layout">
      <section className="panel query-panel" aria-labelledby="query-heading">
        <h1 id="query-heading" className="panel__title">
          Find similar cases
        </h1>
        <p className="panel__intro">Upload a colour fundus photograph to retrieve the most similar graded cases in the index.</p>
        {caseId && <CaseQuery id={caseId} />}
        <ImageDropZone file={file} previewUrl={previewUrl} onFile={chooseUpload} />
        <QueryRegionSelector />
        <KSelector value={k} onChange={setK} />
        <SearchFilterPanel filters={filters} onChange={changeFilters} />
        {(file || caseId) && (
          <button type="button" className="button button--secondary" onClick={retry} disabled={search.isPending} data-testid="search-again">
            Search again
          </button>
        )}
      </section>

      <section className="results-panel" aria-labelledby="results-heading">
        <h2 id="results-heading" className="results-panel__title">
          Similar cases
        </h2>
        <SearchOutcome search={search} filters={filters} onFilters={changeFilters} />
      </section>
    </div>
  );
}

function SearchOutcome({ search, filters, onFilters }: { search: SearchSession['search']; filters: SearchFilters; onFilters(filters: SearchFilters): void }) {
  const queryPatient = search.data?.query?.patientRef ?? null;
  // Refine by example: what is shown is the latest refine step's ranking, or the search's own.
  const refinement = useRefine(search.data, useSearchSession().k, filters);
  const shown = refinement.response;
  const { caseId } = useSearchSession();
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
            <abbr title="Euclidean distance between embeddings; smaller is more similar">L2</abbr> distance, ranked by model {search.data.model.name}
            {search.data.matching !== null && <>, among {matchingText(search.data.matching, search.data.matchingCapped)} that pass the filters</>}.
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
      {search.isSuccess && queryPatient && (
        <p className="query-patient" data-testid="query-patient">
          {filters.excludePatient === queryPatient ? (
            'This DICOM photograph’s patient is left out of the results.'
          ) : (
            <>
              This DICOM photograph names a patient (kept only as a salted reference).{' '}
              <button
                type="button"
                className="button button--secondary"
                onClick={() => onFilters({ ...filters, excludePatient: queryPatient })}
                data-testid="exclude-query-patient"
              >
                Leave out this patient’s photographs
              </button>
            </>
          )}
        </p>
      )}
      {search.isSuccess && search.data.results.length > 0 && (
        <GradeSuggestionPanel response={shown ?? search.data} gradeFiltered={filters.grade !== undefined} />
      )}
      {search.isSuccess && refinement.available && search.data.results.length > 0 && <RefineControls refinement={refinement} />}
      {search.isSuccess && (
        <ResultGrid
          hits={(shown ?? search.data).results}
          label="Similar cases, most similar first"
          emptyMessage={search.data.shortfall?.message}
          compareHref={(id) => compareUrl(id, caseId)}
          cardActions={refinement.available ? (hit, rank) => <RefineMarks hit={hit} rank={rank} refinement={refinement} /> : undefined}
        />
      )}
    </>
  );
}

/** The stored case being searched with, in place of an uploaded photograph. */
function CaseQuery({ id }: { id: string }) {
  const client = useApiClient();
  return (
    <figure className="case-query" data-testid="case-query">
      <img src={client.thumbnailUrl(id)} alt="The stored case searched with" />
      <figcaption>
        Searching with case <Link to={`/cases/${encodeURIComponent(id)}`}>{id.slice(0, 8)}</Link> (itself left out). Choose a photograph below to search with it
        instead.
      </figcaption>
    </figure>
  );
}
