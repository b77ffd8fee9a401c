import type { Explanation } from '@cbmir/contract';
import { useQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

/** The query of a comparison: the photograph uploaded in this tab, or a stored case. */
export type CompareQuery = { kind: 'upload'; file: File } | { kind: 'stored'; id: string };

/** A stable name for an uploaded file within the tab (query keys must be plain values). */
export function uploadKey(file: File): string {
  return `upload:${file.name}:${file.size}:${file.lastModified}`;
}

/**
 * The occlusion map of one side of a (query, result) pair against the other: side 'query' occludes the
 * query, 'case' the result. Computed by the server (about 50 images embedded) only while `enabled`, and kept
 * for the tab's life: a model version fully determines it.
 */
export function useExplanation(query: CompareQuery, resultId: string, side: 'query' | 'case', enabled: boolean) {
  const client = useApiClient();
  const queryName = query.kind === 'upload' ? uploadKey(query.file) : query.id;
  const [occluded, reference] = side === 'query' ? [queryName, resultId] : [resultId, queryName];
  return useQuery<Explanation, Error>({
    queryKey: queryKeys.explanation(occluded, reference),
    queryFn: () => {
      if (query.kind === 'upload') return client.explainUpload(query.file, resultId, { occlude: side, fileName: query.file.name });
      return side === 'query' ? client.explainStored(query.id, resultId) : client.explainStored(resultId, query.id);
    },
    enabled,
    staleTime: Infinity,
    retry: retryUnlessClientError,
  });
}
