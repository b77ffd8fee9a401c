import type { ImageRecord } from '@cbmir/contract';
import { useQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

export function useImage(id: string) {
  const client = useApiClient();
  return useQuery<ImageRecord, Error>({
    queryKey: queryKeys.image(id),
    queryFn: () => client.image(id),
    retry: retryUnlessClientError,
  });
}
