import type { ApiKey, ApiKeyList, CreateApiKeyBody, CreatedApiKey } from '@cbmir/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

export function useApiKeys() {
  const client = useApiClient();
  return useQuery<ApiKeyList, Error>({
    queryKey: queryKeys.apiKeys,
    queryFn: () => client.apiKeys(),
    retry: retryUnlessClientError,
    staleTime: 5_000,
  });
}

/** The response holds the secret: it lives in the mutation result only, never in the query cache. */
export function useCreateApiKey() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<CreatedApiKey, Error, CreateApiKeyBody>({
    mutationFn: (body) => client.createApiKey(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys }),
  });
}

export function useRevokeApiKey() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<ApiKey, Error, string>({
    mutationFn: (id) => client.revokeApiKey(id),
    onSuccess: (key) => {
      queryClient.setQueryData<ApiKeyList>(queryKeys.apiKeys, (list) => (list ? { apiKeys: list.apiKeys.map((k) => (k.id === key.id ? key : k)) } : list));
      void queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys });
    },
  });
}
