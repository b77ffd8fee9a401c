import type { AuditPage } from '@cbmir/contract';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys, type AuditFilters } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

export const AUDIT_PAGE_SIZE = 50;

/** The audit trail, newest first; each further page is older, reached through the server's `nextBefore`. */
export function useAuditLog(filters: AuditFilters) {
  const client = useApiClient();
  return useInfiniteQuery<AuditPage, Error, { pages: AuditPage[] }, ReturnType<typeof queryKeys.audit>, string | undefined>({
    queryKey: queryKeys.audit(filters),
    queryFn: ({ pageParam }) => client.audit({ ...filters, before: pageParam, limit: AUDIT_PAGE_SIZE }),
    initialPageParam: undefined,
    getNextPageParam: (page) => page.nextBefore ?? undefined,
    retry: retryUnlessClientError,
    staleTime: 0,
  });
}
