import type { ModelVersionDetail, ModelVersionList, RegisterModelBody } from '@cbmir/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

/** How often an indexing version is asked for its progress. */
export const ACTIVATION_POLL_MS = 1000;

export function useModels() {
  const client = useApiClient();
  return useQuery<ModelVersionList, Error>({
    queryKey: queryKeys.models,
    queryFn: () => client.models(),
    retry: retryUnlessClientError,
    staleTime: 5_000,
  });
}

/**
 * One version; polled while it is indexing, so its progress bar moves and the page learns when search
 * switches to it. When indexing ends the list and the header's model bar are refreshed.
 */
export function useModelProgress(id: string, indexing: boolean) {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useQuery<ModelVersionDetail, Error>({
    queryKey: queryKeys.model(id),
    queryFn: async () => {
      const detail = await client.model(id);
      if (detail.activation.state !== 'indexing') {
        void queryClient.invalidateQueries({ queryKey: queryKeys.models, exact: true });
        void queryClient.invalidateQueries({ queryKey: queryKeys.readiness });
      }
      return detail;
    },
    enabled: indexing,
    retry: retryUnlessClientError,
    refetchInterval: (query) => (query.state.data?.activation.state === 'indexing' || !query.state.data ? ACTIVATION_POLL_MS : false),
    staleTime: 0,
  });
}

export function useActivateModel() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<ModelVersionDetail, Error, string>({
    mutationFn: (id) => client.activateModel(id),
    onSuccess: (detail) => {
      queryClient.setQueryData(queryKeys.model(detail.model.id), detail);
      queryClient.setQueryData<ModelVersionList>(queryKeys.models, (list) =>
        list ? { models: list.models.map((m) => (m.model.id === detail.model.id ? detail : m)) } : list,
      );
      void queryClient.invalidateQueries({ queryKey: queryKeys.readiness });
    },
  });
}

export function useRegisterModel() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<ModelVersionDetail, Error, RegisterModelBody>({
    mutationFn: (body) => client.registerModel(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.models, exact: true }),
  });
}
