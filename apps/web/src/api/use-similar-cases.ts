import type { SearchResponse } from '@cbmir/contract';
import { useQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

/**
 * The k nearest cases to a stored image, itself excluded. The index contains the image, so the
 * server's nearest hit is normally the image at distance 0; asking for k + 1 keeps k neighbours.
 */
export function useSimilarCases(id: string, k: number) {
  const client = useApiClient();
  return useQuery<SearchResponse, Error>({
    queryKey: queryKeys.similar(id, k),
    queryFn: async () => {
      const response = await client.similar(id, k + 1);
      const results = response.results.filter((hit) => hit.imageId !== id).slice(0, k);
      return { ...response, results };
    },
    retry: retryUnlessClientError,
  });
}
