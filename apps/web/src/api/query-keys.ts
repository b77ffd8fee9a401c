import type { AuditQuery } from '@cbmir/contract';

/** One place for cache keys so invalidation and prefetching agree with the hooks. */
export const queryKeys = {
  session: ['session'] as const,
  readiness: ['readiness'] as const,
  /** Every query that holds a case: forgotten on sign-out. */
  images: ['image'] as const,
  image: (id: string) => ['image', id] as const,
  similar: (id: string, k: number) => ['image', id, 'similar', k] as const,
  samePatient: (id: string) => ['image', id, 'same-patient'] as const,
  /** An occlusion map: `occluded` and `reference` name an image (a case id or an upload's key). */
  explanation: (occluded: string, reference: string) => ['image', 'explanation', occluded, reference] as const,
  /** The network's view of a photograph uploaded in this tab. */
  preprocessedUpload: (upload: string) => ['image', 'preprocessed-upload', upload] as const,
  /** Every admin-only query (accounts, keys, audit trail, jobs): forgotten on sign-out. */
  admin: ['admin'] as const,
  users: ['admin', 'users'] as const,
  apiKeys: ['admin', 'api-keys'] as const,
  audit: (filters: AuditFilters) => ['admin', 'audit', filters] as const,
  jobs: ['admin', 'jobs'] as const,
  job: (id: string) => ['admin', 'job', id] as const,
  jobItems: (id: string, status: string) => ['admin', 'job', id, 'items', status] as const,
  models: ['models'] as const,
  model: (id: string) => ['models', id] as const,
  /** Evaluations name cases on their maps: forgotten on sign-out too. */
  allEvaluations: ['evaluations'] as const,
  evaluations: (modelId: string) => ['evaluations', modelId] as const,
};

/** The audit filters the page can set: everything but the cursor and page size. */
export type AuditFilters = Omit<AuditQuery, 'before' | 'limit'>;
