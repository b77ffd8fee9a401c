import type { SearchFilters, SearchResponse } from '@cbmir/contract';
import { useMutation } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';

export interface ImageSearchRequest {
  file: File;
  k: number;
  filters: SearchFilters;
}

/** Upload a fundus photograph and get its nearest indexed cases. A mutation: every upload is a new query. */
export function useImageSearch() {
  const client = useApiClient();
  return useMutation<SearchResponse, Error, ImageSearchRequest>({
    mutationKey: ['search'],
    mutationFn: ({ file, k, filters }) => client.searchByImage(file, { k, fileName: file.name, filters }),
  });
}
