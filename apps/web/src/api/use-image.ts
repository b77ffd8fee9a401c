import { ApiError, type ImageRecord } from '@cbmir/contract';
import { useQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';

export function useImage(id: string) {
  const client = useApiClient();
  return useQuery<ImageRecord, Error>({
    queryKey: queryKeys.image(id),
    queryFn: () => client.image(id),
    retry: retryUnlessClientError,
  });
}

/** A 4xx (unknown or malformed id) will not get better by asking again. */
export function retryUnlessClientError(failureCount: number, error: Error): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}
