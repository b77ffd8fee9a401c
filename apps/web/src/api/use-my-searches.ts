import type { SearchHistoryEntry, SearchHistoryPage } from '@cbmir/contract';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

export const MY_SEARCHES_PAGE_SIZE = 10;

/** The signed-in user's own searches, newest first, a page at a time. Under the cases' key: forgotten on sign-out. */
export function useMySearches(offset: number) {
  const client = useApiClient();
  return useQuery<SearchHistoryPage>({
    queryKey: [...queryKeys.images, 'my-searches', offset],
    queryFn: () => client.mySearches({ limit: MY_SEARCHES_PAGE_SIZE, offset }),
    placeholderData: keepPreviousData,
    retry: retryUnlessClientError,
    // A search made a moment ago belongs in the list.
    staleTime: 0,
  });
}

/** The query photograph of one of the user's image searches, as a File to search with again. */
export async function fetchSearchPhotograph(url: string, entry: SearchHistoryEntry): Promise<File> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`The photograph of this search could not be loaded (HTTP ${response.status}).`);
  const blob = await response.blob();
  const extension = blob.type.split('/')[1] ?? 'image';
  return new File([blob], `search-${entry.id.slice(0, 8)}.${extension}`, { type: blob.type });
}
