import type { CreateUserBody, UpdateUserBody, User, UserList } from '@cbmir/contract';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

export function useUsers() {
  const client = useApiClient();
  return useQuery<UserList, Error>({
    queryKey: queryKeys.users,
    queryFn: () => client.users(),
    retry: retryUnlessClientError,
    staleTime: 5_000,
  });
}

export function useCreateUser() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<User, Error, CreateUserBody>({
    mutationFn: (body) => client.createUser(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users }),
  });
}

export function useUpdateUser() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<User, Error, { id: string; changes: UpdateUserBody }>({
    mutationFn: ({ id, changes }) => client.updateUser(id, changes),
    onSuccess: (user) => {
      queryClient.setQueryData<UserList>(queryKeys.users, (list) => (list ? { users: list.users.map((u) => (u.id === user.id ? user : u)) } : list));
      void queryClient.invalidateQueries({ queryKey: queryKeys.users });
    },
  });
}
