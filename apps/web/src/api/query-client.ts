import { ApiError } from '@cbmir/contract';
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { queryKeys } from './query-keys.ts';

/**
 * The app's query cache. Any 401 means the session has ended (expired, or signed out in another tab):
 * forgetting the session sends the reader to the sign-in page, wherever the 401 came from. A CSRF
 * refusal means another tab signed in again; asking for the session teaches the client the new token.
 * A role refusal may mean an admin changed this user's role: asking again shows the pages the role allows.
 */
export function createAppQueryClient(): QueryClient {
  const onError = (error: Error) => {
    if (!(error instanceof ApiError)) return;
    if (error.status === 401) queryClient.setQueryData(queryKeys.session, null);
    else if (error.code === 'csrf' || error.code === 'forbidden') {
      void queryClient.invalidateQueries({ queryKey: queryKeys.session });
    }
  };
  const queryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      // Indexed cases change rarely; a case page opened twice need not refetch.
      queries: { staleTime: 60_000, refetchOnWindowFocus: false },
    },
  });
  return queryClient;
}
