import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { EvaluationListQuery } from './evaluation-schemas.ts';
import type { OccludedSide } from './explanation-schemas.ts';
import { type RouteEntry, type RouteInput, routePath, routes } from './routes.ts';
import type {
  AuditQuery,
  CreateApiKeyBody,
  CreateUserBody,
  ImageListQuery,
  JobItemsQuery,
  JobListQuery,
  RegisterModelBody,
  SessionResponse,
  UpdateUserBody,
} from './schemas.ts';
import type { SearchFilters } from './search-filters.ts';
import type { RefineSearchBody, SearchHistoryQuery, SearchRegion } from './search-refine-schemas.ts';

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

/** What any call may carry; RouteInput narrows it per route. */
interface RequestParts {
  params?: Readonly<Record<string, string>>;
  query?: object;
  body?: unknown;
  form?: FormData;
}

/** A route whose success answer is a JSON body the client checks against its schema. */
type JsonRoute = RouteEntry & { response: TSchema };

/** The typed REST client used by the web app and by REST users: every call is a route of the table in routes.ts. */
export function createClient(options: ClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  // The session's CSRF token, learnt from login() or session(); sent on every state-changing request.
  let csrfToken: string | null = null;

  /** The URL of a route (for links, <img src> and EventSource). */
  const url = <R extends RouteEntry>(route: R, input: RouteInput<R> & RequestParts): string =>
    `${baseUrl}${routePath(route, input.params)}${queryString(input.query ?? {})}`;

  async function send<R extends RouteEntry>(route: R, input: RouteInput<R> & RequestParts): Promise<Response> {
    const headers = new Headers();
    if (options.apiKey) headers.set('authorization', `Bearer ${options.apiKey}`);
    if (csrfToken && !SAFE_METHODS.has(route.method)) headers.set('x-csrf-token', csrfToken);
    let body: BodyInit | undefined = input.form;
    if (input.body !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(input.body);
    }
    const response = await doFetch(url(route, input), { method: route.method, headers, body, credentials: 'same-origin' });
    if (!response.ok) throw apiErrorOf(response.status, await response.text());
    return response;
  }

  /** Calls a route and returns its JSON answer, checked against the route's response schema. */
  async function call<R extends JsonRoute>(route: R, input: RouteInput<R> & RequestParts): Promise<Static<R['response']>> {
    const response = await send(route, input);
    return answerOf(route, response.status, await response.text());
  }

  /** Calls a route whose answer is binary (an image). */
  const callBlob = async <R extends RouteEntry>(route: R, input: RouteInput<R> & RequestParts): Promise<Blob> => (await send(route, input)).blob();

  const remember = (session: SessionResponse) => {
    csrfToken = session.csrfToken;
    return session;
  };
  const form = (field: string, file: Blob, fileName: string) => {
    const data = new FormData();
    data.append(field, file, fileName);
    return data;
  };

  return {
    readiness: () => call(routes.readiness, {}),
    /**
     * `filters` narrow the cases searched (grade, eye, source, ingest dates, a patient to leave out); `region`
     * searches a rectangle of the photograph (fractions of its size) instead of all of it.
     */
    searchByImage(image: Blob, options: { k?: number; fileName?: string; filters?: SearchFilters; region?: SearchRegion | null } = {}) {
      const region = options.region
        ? { regionX: options.region.x, regionY: options.region.y, regionWidth: options.region.width, regionHeight: options.region.height }
        : {};
      return call(routes.searchByImage, { query: { k: options.k, ...options.filters, ...region }, form: form('image', image, options.fileName ?? 'query') });
    },
    /** Refine by example: the query's embedding moved toward the liked cases and away from the disliked ones (Rocchio). */
    refineSearch: (body: RefineSearchBody) => call(routes.refineSearch, { body }),
    /** The caller's own recent searches, newest first. */
    mySearches: (query: SearchHistoryQuery = {}) => call(routes.mySearches, { query }),
    /** One of the caller's searches: its query photograph, to search with again. */
    mySearchQueryUrl: (id: string) => url(routes.mySearchQuery, { params: { id } }),
    searchByVector: (vector: number[], k?: number, filters?: SearchFilters) => call(routes.searchByVector, { body: { vector, k, filters } }),
    image: (id: string) => call(routes.image, { params: { id } }),
    images: (query: ImageListQuery = {}) => call(routes.images, { query }),
    similar: (id: string, k?: number, filters: SearchFilters & { excludeSamePatient?: boolean } = {}) =>
      call(routes.similar, { params: { id }, query: { k, ...filters } }),
    /** The other images of the case's patient (its other eye first). */
    samePatient: (id: string) => call(routes.samePatient, { params: { id } }),
    embedding: (id: string) => call(routes.embedding, { params: { id } }),
    thumbnailUrl: (id: string) => url(routes.thumbnail, { params: { id } }),
    /** The network's view of a stored image (its preprocessed input under the active model), as PNG. */
    preprocessedUrl: (id: string) => url(routes.preprocessed, { params: { id } }),
    /** The network's view of a photograph, as PNG bytes. */
    preprocess: (image: Blob, fileName = 'query') => callBlob(routes.preprocess, { form: form('image', image, fileName) }),
    /**
     * Occlusion map of the uploaded query against a result (`occlude: 'case'`: of the result against the
     * query): which regions the similarity depends on.
     */
    explainUpload: (image: Blob, caseId: string, options: { occlude?: OccludedSide; fileName?: string } = {}) =>
      call(routes.explainUpload, { query: { case: caseId, occlude: options.occlude }, form: form('image', image, options.fileName ?? 'query') }),
    /** Occlusion map of the stored image `id`, distances to the stored case `against`. */
    explainStored: (id: string, against: string) => call(routes.explainStored, { params: { id }, query: { against } }),

    login: async (username: string, password: string) => remember(await call(routes.login, { body: { username, password } })),
    /** The signed-in user; throws ApiError 401 when there is no session. */
    session: async () => remember(await call(routes.session, {})),
    async logout() {
      await call(routes.logout, {});
      csrfToken = null;
    },

    models: () => call(routes.models, {}),
    model: (id: string) => call(routes.model, { params: { id } }),
    registerModel: (body: RegisterModelBody) => call(routes.registerModel, { body }),
    /** A model version's retrieval evaluations (`cbmir eval`), newest first: metrics, PR curves, 2-D map. */
    modelEvaluations: (id: string, query: EvaluationListQuery = {}) => call(routes.modelEvaluations, { params: { id }, query }),
    activateModel: (id: string) => call(routes.activateModel, { params: { id } }),

    users: () => call(routes.users, {}),
    createUser: (body: CreateUserBody) => call(routes.createUser, { body }),
    updateUser: (id: string, body: UpdateUserBody) => call(routes.updateUser, { params: { id }, body }),
    apiKeys: () => call(routes.apiKeys, {}),
    createApiKey: (body: CreateApiKeyBody) => call(routes.createApiKey, { body }),
    revokeApiKey: (id: string) => call(routes.revokeApiKey, { params: { id } }),
    audit: (query: AuditQuery = {}) => call(routes.audit, { query }),

    /**
     * Uploads a .zip, .tar or .tar.gz of fundus images (admin); returns the queued job at once (202).
     * Labels come from a label file inside the archive, or from `labels` here (EyePACS, APTOS or cbmir CSV).
     */
    uploadArchive(archive: Blob, options: { fileName?: string; labels?: Blob; labelsFileName?: string; source?: string } = {}) {
      const data = new FormData();
      if (options.source !== undefined) data.append('source', options.source);
      if (options.labels) data.append('labels', options.labels, options.labelsFileName ?? 'labels.csv');
      data.append('archive', archive, options.fileName ?? 'archive.zip');
      return call(routes.uploadArchive, { form: data });
    },
    jobs: (query: JobListQuery = {}) => call(routes.jobs, { query }),
    job: (id: string) => call(routes.job, { params: { id } }),
    jobItems: (id: string, query: JobItemsQuery = {}) => call(routes.jobItems, { params: { id }, query }),
    cancelJob: (id: string) => call(routes.cancelJob, { params: { id } }),
    /** Server-sent events for `new EventSource(url)`: `progress` events carry a Job, `end` the final one. */
    jobEventsUrl: (id: string) => url(routes.jobEvents, { params: { id } }),
  };
}

/**
 * A route's JSON answer (the response text) checked against the route's response schema: the one place an answer
 * gets its type. An answer outside the contract is an ApiError `invalid_response`.
 */
export function answerOf<R extends JsonRoute>(route: R, status: number, text: string): Static<R['response']> {
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!Value.Check<R['response']>(route.response, body)) {
    const [first] = Value.Errors(route.response, body);
    const where = first ? `${first.instancePath || '/'} ${first.message}` : 'unexpected body';
    throw new ApiError(status, 'invalid_response', `${route.method} ${route.path} answered outside its contract: ${where}`);
  }
  return body;
}

/** The ApiError of a refused request (its status and response text): the server's {error, message} when the body has them. */
export function apiErrorOf(status: number, text: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fields = typeof body === 'object' && body !== null ? new Map(Object.entries(body)) : new Map<string, unknown>();
  const field = (name: 'error' | 'message') => {
    const value = fields.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  return new ApiError(status, field('error') ?? 'http_error', field('message') ?? `HTTP ${status}`);
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
