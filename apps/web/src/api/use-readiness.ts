import type { Readiness } from '@cbmir/contract';
import { useQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';

/** Server readiness: active model version and index size. Polled so a newly trained model shows up. */
export function useReadiness() {
  const client = useApiClient();
  return useQuery<Readiness>({
    queryKey: queryKeys.readiness,
    queryFn: () => client.readiness(),
    refetchInterval: 30_000,
  });
}
