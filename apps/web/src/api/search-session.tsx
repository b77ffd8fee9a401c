import type { SearchFilters, SearchResponse } from '@cbmir/contract';
import type { UseMutationResult } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { filterProblem, filtersKey } from '../domain/search-filter-params.ts';
import { useImageSearch, type ImageSearchRequest } from './use-image-search.ts';
import { useSession } from './use-session.ts';

export const K_OPTIONS = [10, 20, 50] as const;
export type KOption = (typeof K_OPTIONS)[number];

export interface SearchSession {
  file: File | null;
  /** Object URL of the chosen file, for the preview; null before a file is chosen. */
  previewUrl: string | null;
  k: KOption;
  /** The filters the search runs with (the page keeps them in its URL and hands them in). */
  filters: SearchFilters;
  search: UseMutationResult<SearchResponse, Error, ImageSearchRequest>;
  /** Choose a query photograph and search with it straight away. */
  chooseFile(file: File): void;
  /** Change how many cases to retrieve; re-runs the search when there is a query. */
  setK(k: KOption): void;
  /** Change the filters; re-runs the search when there is a query and the filters can be sent. */
  setFilters(filters: SearchFilters): void;
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
  const [previewUrl, setPreviewUrl] = useState<string | null>(null);
  const [k, setKState] = useState<KOption>(10);
  const [filters, setFiltersState] = useState<SearchFilters>({});

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
    setFile(null);
    setPreviewUrl(null);
    reset();
  }, [userId, reset]);

  // Filters the page itself flags as wrong are not sent: the page says what to correct instead.
  const { mutate: send } = search;
  const mutate = useCallback((request: ImageSearchRequest) => {
    if (filterProblem(request.filters) === null) send(request);
  }, [send]);
  const chooseFile = useCallback(
    (next: File) => {
      setFile(next);
      mutate({ file: next, k, filters });
    },
    [mutate, k, filters],
  );
  const setK = useCallback(
    (next: KOption) => {
      setKState(next);
      if (file) mutate({ file, k: next, filters });
    },
    [mutate, file, filters],
  );
  const setFilters = useCallback(
    (next: SearchFilters) => {
      if (filtersKey(next) === filtersKey(filters)) return;
      setFiltersState(next);
      if (file) mutate({ file, k, filters: next });
    },
    [mutate, file, k, filters],
  );
  const retry = useCallback(() => {
    if (file) mutate({ file, k, filters });
  }, [mutate, file, k, filters]);

  const value = useMemo<SearchSession>(
    () => ({ file, previewUrl, k, filters, search, chooseFile, setK, setFilters, retry }),
    [file, previewUrl, k, filters, search, chooseFile, setK, setFilters, retry],
  );
  return <SearchSessionContext.Provider value={value}>{children}</SearchSessionContext.Provider>;
}

export function useSearchSession(): SearchSession {
  const session = useContext(SearchSessionContext);
  if (!session) throw new Error('useSearchSession must be used inside <SearchSessionProvider>');
  return session;
}
