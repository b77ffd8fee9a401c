import type { SearchResponse } from '@cbmir/contract';
import type { UseMutationResult } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useImageSearch, type ImageSearchRequest } from './use-image-search.ts';
import { useSession } from './use-session.ts';

export const K_OPTIONS = [10, 20, 50] as const;
export type KOption = (typeof K_OPTIONS)[number];

export interface SearchSession {
  file: File | null;
  /** Object URL of the chosen file, for the preview; null before a file is chosen. */
  previewUrl: string | null;
  k: KOption;
  search: UseMutationResult<SearchResponse, Error, ImageSearchRequest>;
  /** Choose a query photograph and search with it straight away. */
  chooseFile(file: File): void;
  /** Change how many cases to retrieve; re-runs the search when there is a query. */
  setK(k: KOption): void;
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

  const { mutate } = search;
  const chooseFile = useCallback(
    (next: File) => {
      setFile(next);
      mutate({ file: next, k });
    },
    [mutate, k],
  );
  const setK = useCallback(
    (next: KOption) => {
      setKState(next);
      if (file) mutate({ file, k: next });
    },
    [mutate, file],
  );
  const retry = useCallback(() => {
    if (file) mutate({ file, k });
  }, [mutate, file, k]);

  const value = useMemo<SearchSession>(
    () => ({ file, previewUrl, k, search, chooseFile, setK, retry }),
    [file, previewUrl, k, search, chooseFile, setK, retry],
  );
  return <SearchSessionContext.Provider value={value}>{children}</SearchSessionContext.Provider>;
}

export function useSearchSession(): SearchSession {
  const session = useContext(SearchSessionContext);
  if (!session) throw new Error('useSearchSession must be used inside <SearchSessionProvider>');
  return session;
}
