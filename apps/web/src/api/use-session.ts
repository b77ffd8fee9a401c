import { ApiError, type SessionResponse } from '@cbmir/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';

/**
 * The signed-in user, or null when there is none. Asking also teaches the client the session's CSRF
 * token, which every upload must carry.
 */
export function useSession() {
  const client = useApiClient();
  return useQuery<SessionResponse | null>({
    queryKey: queryKeys.session,
    queryFn: async () => {
      try {
        return await client.session();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: Infinity,
    retry: false,
  });
}

export function useLogin() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<SessionResponse, Error, { username: string; password: string }>({
    mutationFn: ({ username, password }) => client.login(username, password),
    onSuccess: (session) => queryClient.setQueryData(queryKeys.session, session),
  });
}

/** Signs out and drops every cached case and admin record, so the next person at this screen sees none of them. */
export function useLogout() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<void, Error>({
    mutationFn: () => client.logout(),
    onSettled: () => {
      queryClient.setQueryData(queryKeys.session, null);
      // Patient data only; not clear(), which would detach mounted observers from the session query.
      queryClient.removeQueries({ queryKey: queryKeys.images });
      queryClient.removeQueries({ queryKey: queryKeys.admin });
      queryClient.removeQueries({ queryKey: queryKeys.allEvaluations });
    },
  });
}
