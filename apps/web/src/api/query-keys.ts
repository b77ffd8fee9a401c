/** One place for cache keys so invalidation and prefetching agree with the hooks. */
export const queryKeys = {
  session: ['session'] as const,
  readiness: ['readiness'] as const,
  /** Every query that holds a case: forgotten on sign-out. */
  images: ['image'] as const,
  image: (id: string) => ['image', id] as const,
  similar: (id: string, k: number) => ['image', id, 'similar', k] as const,
};
