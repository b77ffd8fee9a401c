import type { SearchFilters, SearchRegion, SearchResponse } from '@cbmir/contract';
import { useMutation } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';

export interface ImageSearchRequest {
  /** The query: an uploaded photograph, or a stored case (its own similar cases). */
  file: File | null;
  caseId: string | null;
  k: number;
  filters: SearchFilters;
  /** Refine by region: the rectangle of the uploaded photograph to search; null: all of it. */
  region: SearchRegion | null;
}

/** Upload a fundus photograph and get its nearest indexed cases. A mutation: every upload is a new query. */
export function useImageSearch() {
  const client = useApiClient();
  return useMutation<SearchResponse, Error, ImageSearchRequest>({
    mutationKey: ['search'],
    mutationFn: ({ file, caseId, k, filters, region }) =>
      caseId !== null ? client.similar(caseId, k, filters) : client.searchByImage(file!, { k, fileName: file!.name, filters, region }),
  });
}
