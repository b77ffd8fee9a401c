import type { SamePatientImages } from '@cbmir/contract';
import { useQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

/** The other images of a case's patient (its other eye first); none when the case has no patient reference. */
export function useSamePatient(id: string, enabled: boolean) {
  const client = useApiClient();
  return useQuery<SamePatientImages, Error>({
    queryKey: queryKeys.samePatient(id),
    queryFn: () => client.samePatient(id),
    enabled,
    retry: retryUnlessClientError,
  });
}
