import type {
  ApiKey,
  ApiKeyList,
  AuditPage,
  AuditQuery,
  CreateApiKeyBody,
  CreatedApiKey,
  CreateUserBody,
  EmbeddingResponse,
  ImageList,
  ImageListQuery,
  ModelVersionDetail,
  ModelVersionList,
  RegisterModelBody,
  ErrorBody,
  ImageRecord,
  Job,
  JobItemPage,
  JobItemsQuery,
  JobList,
  JobListQuery,
  Readiness,
  SamePatientImages,
  SearchResponse,
  SessionResponse,
  UpdateUserBody,
  User,
  UserList,
} from './schemas.ts';
import type { EvaluationListQuery, EvaluationPage } from './evaluation-schemas.ts';
import type { Explanation, OccludedSide } from './explanation-schemas.ts';
import type { SearchFilters } from './search-filters.ts';
import type { RefineSearchBody, SearchHistoryPage, SearchHistoryQuery, SearchRegion } from './search-refine-schemas.ts';

/** An API error with the server's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  /** Base URL of the server, e.g. http://localhost:8080; empty for same-origin (the web app). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** For REST clients: an API key issued by an admin. Browsers use the session cookie instead. */
  apiKey?: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The typed REST client used by the web app and by REST users. */
export function createClient(options: ClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  // The session's CSRF token, learnt from login() or session(); sent on every state-changing request.
  let csrfToken: string | null = null;

  function send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (options.apiKey) headers.set('authorization', `Bearer ${options.apiKey}`);
    if (csrfToken && !SAFE_METHODS.has((init.method ?? 'GET').toUpperCase())) headers.set('x-csrf-token', csrfToken);
    return doFetch(`${baseUrl}${path}`, { ...init, headers, credentials: 'same-origin' });
  }

  async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await send(path, init);
    const text = await response.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const err = body as Partial<ErrorBody> | undefined;
      throw new ApiError(response.status, err?.error ?? 'http_error', err?.message ?? `HTTP ${response.status}`);
    }
    return body as T;
  }

  /** A binary response (an image); errors are JSON like everywhere else. */
  async function requestBlob(path: string, init: RequestInit = {}): Promise<Blob> {
    const response = await send(path, init);
    if (!response.ok) {
      const text = await response.text();
      let err: Partial<ErrorBody> | undefined;
      try {
        err = JSON.parse(text) as Partial<ErrorBody>;
      } catch {
        err = undefined;
      }
      throw new ApiError(response.status, err?.error ?? 'http_error', err?.message ?? `HTTP ${response.status}`);
    }
    return response.blob();
  }

  const json = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const remember = (session: SessionResponse) => {
    csrfToken = session.csrfToken;
    return session;
  };

  return {
    readiness: () => request<Readiness>('/readyz'),
    /**
     * `filters` narrow the cases searched (grade, eye, source, ingest dates, a patient to leave out); `region`
     * searches a rectangle of the photograph (fractions of its size) instead of all of it.
     */
    searchByImage(image: Blob, options: { k?: number; fileName?: string; filters?: SearchFilters; region?: SearchRegion | null } = {}) {
      const form = new FormData();
      form.append('image', image, options.fileName ?? 'query');
      const region = options.region
        ? { regionX: options.region.x, regionY: options.region.y, regionWidth: options.region.width, regionHeight: options.region.height }
        : {};
      return request<SearchResponse>(`/api/v1/search${queryString({ k: options.k, ...options.filters, ...region })}`, { method: 'POST', body: form });
    },
    /** Refine by example: the query's embedding moved toward the liked cases and away from the disliked ones (Rocchio). */
    refineSearch: (body: RefineSearchBody) => request<SearchResponse>('/api/v1/search/refine', json('POST', body)),
    /** The caller's own recent searches, newest first. */
    mySearches: (query: SearchHistoryQuery = {}) => request<SearchHistoryPage>(`/api/v1/searches${queryString(query)}`),
    /** One of the caller's searches: its query photograph, to search with again. */
    mySearchQueryUrl: (id: string) => `${baseUrl}/api/v1/searches/${encodeURIComponent(id)}/query`,
    searchByVector(vector: number[], k?: number, filters?: SearchFilters) {
      return request<SearchResponse>('/api/v1/search/vector', json('POST', { vector, k, filters }));
    },
    image: (id: string) => request<ImageRecord>(`/api/v1/images/${encodeURIComponent(id)}`),
    images: (query: ImageListQuery = {}) => request<ImageList>(`/api/v1/images${queryString(query)}`),
    similar: (id: string, k?: number, filters: SearchFilters & { excludeSamePatient?: boolean } = {}) =>
      request<SearchResponse>(`/api/v1/images/${encodeURIComponent(id)}/similar${queryString({ k, ...filters })}`),
    /** The other images of the case's patient (its other eye first). */
    samePatient: (id: string) => request<SamePatientImages>(`/api/v1/images/${encodeURIComponent(id)}/same-patient`),
    embedding: (id: string) => request<EmbeddingResponse>(`/api/v1/images/${encodeURIComponent(id)}/embedding`),
    thumbnailUrl: (id: string) => `${baseUrl}/api/v1/images/${encodeURIComponent(id)}/thumbnail`,
    /** The network's view of a stored image (its preprocessed input under the active model), as PNG. */
    preprocessedUrl: (id: string) => `${baseUrl}/api/v1/images/${encodeURIComponent(id)}/preprocessed`,
    /** The network's view of a photograph, as PNG bytes. */
    async preprocess(image: Blob, fileName = 'query'): Promise<Blob> {
      const form = new FormData();
      form.append('image', image, fileName);
      return requestBlob('/api/v1/preprocess', { method: 'POST', body: form });
    },
    /**
     * Occlusion map of the uploaded query against a result (`occlude: 'case'`: of the result against the
     * query): which regions the similarity depends on.
     */
    explainUpload(image: Blob, caseId: string, options: { occlude?: OccludedSide; fileName?: string } = {}) {
      const form = new FormData();
      form.append('image', image, options.fileName ?? 'query');
      return request<Explanation>(`/api/v1/explanations${queryString({ case: caseId, occlude: options.occlude })}`, { method: 'POST', body: form });
    },
    /** Occlusion map of the stored image `id`, distances to the stored case `against`. */
    explainStored: (id: string, against: string) => request<Explanation>(`/api/v1/images/${encodeURIComponent(id)}/explanation${queryString({ against })}`),

    login: async (username: string, password: string) => remember(await request<SessionResponse>('/api/v1/auth/login', json('POST', { username, password }))),
    /** The signed-in user; throws ApiError 401 when there is no session. */
    session: async () => remember(await request<SessionResponse>('/api/v1/auth/session')),
    async logout() {
      await request<{ ok: true }>('/api/v1/auth/logout', { method: 'POST' });
      csrfToken = null;
    },

    models: () => request<ModelVersionList>('/api/v1/models'),
    model: (id: string) => request<ModelVersionDetail>(`/api/v1/models/${encodeURIComponent(id)}`),
    registerModel: (body: RegisterModelBody) => request<ModelVersionDetail>('/api/v1/models', json('POST', body)),
    /** A model version's retrieval evaluations (`cbmir eval`), newest first: metrics, PR curves, 2-D map. */
    modelEvaluations: (id: string, query: EvaluationListQuery = {}) =>
      request<EvaluationPage>(`/api/v1/models/${encodeURIComponent(id)}/evaluations${queryString(query)}`),
    activateModel: (id: string) => request<ModelVersionDetail>(`/api/v1/models/${encodeURIComponent(id)}/activate`, { method: 'POST' }),

    users: () => request<UserList>('/api/v1/users'),
    createUser: (body: CreateUserBody) => request<User>('/api/v1/users', json('POST', body)),
    updateUser: (id: string, body: UpdateUserBody) => request<User>(`/api/v1/users/${encodeURIComponent(id)}`, json('PATCH', body)),
    apiKeys: () => request<ApiKeyList>('/api/v1/api-keys'),
    createApiKey: (body: CreateApiKeyBody) => request<CreatedApiKey>('/api/v1/api-keys', json('POST', body)),
    revokeApiKey: (id: string) => request<ApiKey>(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    audit: (query: AuditQuery = {}) => request<AuditPage>(`/api/v1/audit${queryString(query)}`),

    /**
     * Uploads a .zip, .tar or .tar.gz of fundus images (admin); returns the queued job at once (202).
     * Labels come from a label file inside the archive, or from `labels` here (EyePACS, APTOS or cbmir CSV).
     */
    uploadArchive(archive: Blob, options: { fileName?: string; labels?: Blob; labelsFileName?: string; source?: string } = {}) {
      const form = new FormData();
      if (options.source !== undefined) form.append('source', options.source);
      if (options.labels) form.append('labels', options.labels, options.labelsFileName ?? 'labels.csv');
      form.append('archive', archive, options.fileName ?? 'archive.zip');
      return request<Job>('/api/v1/archives', { method: 'POST', body: form });
    },
    jobs: (query: JobListQuery = {}) => request<JobList>(`/api/v1/jobs${queryString(query)}`),
    job: (id: string) => request<Job>(`/api/v1/jobs/${encodeURIComponent(id)}`),
    jobItems: (id: string, query: JobItemsQuery = {}) => request<JobItemPage>(`/api/v1/jobs/${encodeURIComponent(id)}/items${queryString(query)}`),
    cancelJob: (id: string) => request<Job>(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
    /** Server-sent events for `new EventSource(url)`: `progress` events carry a Job, `end` the final one. */
    jobEventsUrl: (id: string) => `${baseUrl}/api/v1/jobs/${encodeURIComponent(id)}/events`,
  };
}

/** `?a=1&b=x` from the defined fields of a query object; '' when none is. */
function queryString(query: object): string {
  const params = new URLSearchParams(
    Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
  return params.size ? `?${params}` : '';
}

export type CbmirClient = ReturnType<typeof createClient>;
