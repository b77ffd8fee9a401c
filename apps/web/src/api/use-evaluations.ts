import type { EvaluationPage } from '@cbmir/contract';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

/** A model version's evaluations, newest first; older ones page in through `nextBefore`. */
export function useModelEvaluations(modelId: string | null) {
  const client = useApiClient();
  return useInfiniteQuery<EvaluationPage, Error, { pages: EvaluationPage[] }, readonly string[], string | undefined>({
    queryKey: queryKeys.evaluations(modelId ?? ''),
    queryFn: ({ pageParam }) => client.modelEvaluations(modelId!, { before: pageParam, limit: 10 }),
    initialPageParam: undefined,
    getNextPageParam: (page) => page.nextBefore ?? undefined,
    enabled: modelId !== null,
    retry: retryUnlessClientError,
  });
}
