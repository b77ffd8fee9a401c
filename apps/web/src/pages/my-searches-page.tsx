import type { SearchHistoryEntry } from '@cbmir/contract';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useApiClient } from '../api/api-client.tsx';
import { K_OPTIONS, useSearchSession, type KOption } from '../api/search-session.tsx';
import { fetchSearchPhotograph, MY_SEARCHES_PAGE_SIZE, useMySearches } from '../api/use-my-searches.ts';
import { GradeBadge } from '../components/grade-badge.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { QueryError } from '../components/query-error.tsx';
import { ErrorMessage, LoadingMessage } from '../components/status-message.tsx';
import { formatDistance } from '../domain/distance.ts';
import { formatDateTime } from '../domain/format.ts';
import { filtersToUrl } from '../domain/search-filter-params.ts';
import { describeFilters } from '../domain/search-history.ts';
import { describeRegion } from '../domain/search-region.ts';

/** "My searches": the signed-in user's recent searches (theirs only), each of which can be run again. */
export function MySearchesPage() {
  const [offset, setOffset] = useState(0);
  const searches = useMySearches(offset);
  const page = searches.data;
  const rerun = useRerun();
  return (
    <div className="page" data-testid="my-searches-page">
      <PageHeading
        title="My searches"
        intro="Your recent searches, newest first, with the photograph or case you searched with and what came first. Only you can see them; run one again to see its cases under the current model."
      />
      <section className="panel" aria-labelledby="my-searches-heading">
        <h2 id="my-searches-heading" className="visually-hidden">
          Searches
        </h2>
        <div className="live-region" aria-live="polite">
          {searches.isPending && <LoadingMessage testId="my-searches-loading">Loading your searches…</LoadingMessage>}
          {searches.isError && <QueryError error={searches.error} title="Your searches could not be loaded" testId="my-searches-error" />}
          {rerun.error && <ErrorMessage error={rerun.error} title="The search could not be run again" testId="rerun-error" />}
          {page && page.total === 0 && (
            <p className="empty-state" data-testid="my-searches-empty">
              No searches yet. <Link to="/">Search with a photograph</Link> and it will be listed here.
            </p>
          )}
          {page && page.total > 0 && (
            <p className="results-panel__meta" data-testid="my-searches-meta">
              Searches {offset + 1}–{offset + page.searches.length} of {page.total}
            </p>
          )}
        </div>
        {page && page.searches.length > 0 && (
          <ol className="my-searches" data-testid="my-searches-list">
            {page.searches.map((entry) => (
              <SearchEntry key={entry.id} entry={entry} busy={rerun.busy === entry.id} onRerun={() => void rerun.run(entry)} />
            ))}
          </ol>
        )}
        {page && page.total > MY_SEARCHES_PAGE_SIZE && (
          <nav className="button-row" aria-label="Pages of your searches">
            <button
              type="button"
              className="button button--secondary"
              disabled={offset === 0}
              onClick={() => setOffset(Math.max(0, offset - MY_SEARCHES_PAGE_SIZE))}
              data-testid="my-searches-newer"
            >
              Newer
            </button>
            <button
              type="button"
              className="button button--secondary"
              disabled={offset + MY_SEARCHES_PAGE_SIZE >= page.total}
              onClick={() => setOffset(offset + MY_SEARCHES_PAGE_SIZE)}
              data-testid="my-searches-older"
            >
              Older
            </button>
          </nav>
        )}
      </section>
    </div>
  );
}

/** Runs a search again on the search page: its photograph (fetched back) or case, with its k, filters and region. */
function useRerun() {
  const client = useApiClient();
  const session = useSearchSession();
  const navigate = useNavigate();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  async function run(entry: SearchHistoryEntry) {
    setBusy(entry.id);
    setError(null);
    try {
      const k = (K_OPTIONS as readonly number[]).includes(entry.k) ? (entry.k as KOption) : 10;
      const params = filtersToUrl(new URLSearchParams(), entry.filters);
      if (entry.kind === 'case' && entry.queryImageId) {
        session.rerun({ caseId: entry.queryImageId }, k, entry.filters);
        params.set('case', entry.queryImageId);
      } else {
        session.rerun({ file: await fetchSearchPhotograph(client.mySearchQueryUrl(entry.id), entry), region: entry.region }, k, entry.filters);
      }
      navigate(`/${params.size ? `?${params}` : ''}`);
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(null);
    }
  }
  return { run, busy, error };
}

function SearchEntry({ entry, busy, onRerun }: { entry: SearchHistoryEntry; busy: boolean; onRerun(): void }) {
  const when = formatDateTime(entry.createdAt);
  return (
    <li className="my-search" data-testid="my-search" data-search-id={entry.id} data-kind={entry.kind}>
      <figure className="my-search__query">
        <span className="my-search__thumb">
          <img src={entry.queryThumbnailUrl} alt={entry.kind === 'case' ? 'The stored case searched with' : 'Your query photograph'} loading="lazy" />
          {entry.region && (
            <span
              className="my-search__region"
              aria-hidden="true"
              style={{
                left: `${entry.region.x * 100}%`,
                top: `${entry.region.y * 100}%`,
                width: `${entry.region.width * 100}%`,
                height: `${entry.region.height * 100}%`,
              }}
            />
          )}
        </span>
        <figcaption>
          <time dateTime={entry.createdAt} data-testid="my-search-time">
            {when}
          </time>
          <span className="my-search__what" data-testid="my-search-what">
            {entry.kind === 'case' ? 'Searched with a stored case' : entry.region ? `A region: ${describeRegion(entry.region)}` : 'A photograph'}
          </span>
          <span className="my-search__settings" data-testid="my-search-settings">
            k = {entry.k} · {describeFilters(entry.filters)}
          </span>
        </figcaption>
      </figure>
      <div className="my-search__top" data-testid="my-search-top">
        {entry.top ? (
          <Link to={`/cases/${encodeURIComponent(entry.top.imageId)}`} aria-label={`Nearest case then, L2 distance ${formatDistance(entry.top.distance)}`}>
            <img src={entry.top.thumbnailUrl} alt="" loading="lazy" />
            <span>
              Nearest then: <GradeBadge grade={entry.top.grade} /> <span className="numeric">L2 {formatDistance(entry.top.distance)}</span>
              <span className="my-search__count">
                {' '}
                ({entry.results} {entry.results === 1 ? 'case' : 'cases'})
              </span>
            </span>
          </Link>
        ) : (
          <span>No case came back.</span>
        )}
      </div>
      <button type="button" className="button" disabled={busy} onClick={onRerun} aria-label={`Search again: ${when}`} data-testid="my-search-rerun">
        {busy ? 'Loading…' : 'Search again'}
      </button>
    </li>
  );
}
