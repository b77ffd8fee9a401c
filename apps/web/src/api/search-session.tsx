import type { SearchFilters, SearchRegion, SearchResponse } from '@cbmir/contract';
import type { UseMutationResult } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { filterProblem, filtersKey } from '../domain/search-filter-params.ts';
import { useImageSearch, type ImageSearchRequest } from './use-image-search.ts';
import { useSession } from './use-session.ts';

export const K_OPTIONS = [10, 20, 50] as const;
export type KOption = (typeof K_OPTIONS)[number];

export interface SearchSession {
  file: File | null;
  /** The stored case searched with instead of a file ("search with this case"); null otherwise. */
  caseId: string | null;
  /** Object URL of the chosen file, for the preview; null before a file is chosen. */
  previewUrl: string | null;
  k: KOption;
  /** The filters the search runs with (the page keeps them in its URL and hands them in). */
  filters: SearchFilters;
  /** Refine by region: the rectangle of the photograph searched; null: all of it. */
  region: SearchRegion | null;
  search: UseMutationResult<SearchResponse, Error, ImageSearchRequest>;
  /** Choose a query photograph and search with it straight away. */
  chooseFile(file: File): void;
  /** Search with a stored case as the query: its own similar cases, under these filters. */
  chooseCase(id: string, filters: SearchFilters): void;
  /** Change how many cases to retrieve; re-runs the search when there is a query. */
  setK(k: KOption): void;
  /** Change the filters; re-runs the search when there is a query and the filters can be sent. */
  setFilters(filters: SearchFilters): void;
  /** Search a region of the photograph (null: all of it) straight away. */
  setRegion(region: SearchRegion | null): void;
  /** Run a search again as it was ("My searches"): its photograph or case, k, filters and region. */
  rerun(query: { file: File; region: SearchRegion | null } | { caseId: string }, k: KOption, filters: SearchFilters): void;
  retry(): void;
}

const SearchSessionContext = createContext<SearchSession | null>(null);

/**
 * Holds the query photograph and its results above the router, so that opening a case and coming back
 * keeps the ranked list instead of asking the clinician to upload again.
 */
export function SearchSessionProvider({ children }: { children: ReactNode }) {
  const search = useImageSearch();
  const [file, setFile] = useState<File | null>(null);
  const [caseId, setCaseId] = useState<string | null>(null);
  const [previewUrl, setPreviewUrl] = useState<string | null>(null);
  const [k, setKState] = useState<KOption>(10);
  const [filters, setFiltersState] = useState<SearchFilters>({});
  const [region, setRegionState] = useState<SearchRegion | null>(null);

  useEffect(() => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    setPreviewUrl(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  // A patient's photograph and its matches belong to whoever searched: forget them when the user changes.
  const userId = useSession().data?.user.id ?? null;
  const { reset } = search;
  useEffect(() => {
    current.current = { ...current.current, file: null, caseId: null, region: null };
    setFile(null);
    setCaseId(null);
    setRegionState(null);
    setPreviewUrl(null);
    reset();
  }, [userId, reset]);

  // Filters the page itself flags as wrong are not sent: the page says what to correct instead.
  const { mutate: send } = search;
  const mutate = useCallback(
    (request: ImageSearchRequest) => {
      if (filterProblem(request.filters) === null) send(request);
    },
    [send],
  );
  // The query as of the latest call, so a callback from an earlier render never searches with an old one.
  const current = useRef<ImageSearchRequest>({ file: null, caseId: null, k: 10, filters: {}, region: null });
  const run = useCallback(
    (change: Partial<ImageSearchRequest>, searchNow: boolean) => {
      const next = { ...current.current, ...change };
      current.current = next;
      setFile(next.file);
      setCaseId(next.caseId);
      setKState(next.k as KOption);
      setFiltersState(next.filters);
      setRegionState(next.region);
      if (searchNow && (next.file !== null || next.caseId !== null)) mutate(next);
    },
    [mutate],
  );
  const chooseFile = useCallback((next: File) => run({ file: next, caseId: null, region: null }, true), [run]);
  const chooseCase = useCallback(
    (id: string, withFilters: SearchFilters) => {
      setPreviewUrl(null);
      run({ file: null, caseId: id, filters: withFilters, region: null }, true);
    },
    [run],
  );
  const setK = useCallback((next: KOption) => run({ k: next }, true), [run]);
  const setFilters = useCallback(
    (next: SearchFilters) => {
      if (filtersKey(next) !== filtersKey(current.current.filters)) run({ filters: next }, true);
    },
    [run],
  );
  const retry = useCallback(() => run({}, true), [run]);
  const setRegion = useCallback((next: SearchRegion | null) => run({ region: next }, true), [run]);
  const rerun = useCallback<SearchSession['rerun']>(
    (query, nextK, nextFilters) => {
      if ('caseId' in query) setPreviewUrl(null);
      run(
        'caseId' in query
          ? { file: null, caseId: query.caseId, region: null, k: nextK, filters: nextFilters }
          : { ...query, caseId: null, k: nextK, filters: nextFilters },
        true,
      );
    },
    [run],
  );

  const value = useMemo<SearchSession>(
    () => ({ file, caseId, previewUrl, k, filters, region, search, chooseFile, chooseCase, setK, setFilters, setRegion, rerun, retry }),
    [file, caseId, previewUrl, k, filters, region, search, chooseFile, chooseCase, setK, setFilters, setRegion, rerun, retry],
  );
  return <SearchSessionContext.Provider value={value}>{children}</SearchSessionContext.Provider>;
}

export function useSearchSession(): SearchSession {
  const session = useContext(SearchSessionContext);
  if (!session) throw new Error('useSearchSession must be used inside <SearchSessionProvider>');
  return session;
}
