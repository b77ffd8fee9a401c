import { Type, type Static, type TSchema } from 'typebox';
import { EvaluationListQuery, EvaluationPage } from './evaluation-schemas.ts';
import { Explanation, ExplanationQuery, StoredExplanationQuery } from './explanation-schemas.ts';
import {
  ApiKey,
  ApiKeyList,
  AuditPage,
  AuditQuery,
  CreateApiKeyBody,
  CreatedApiKey,
  CreateUserBody,
  EmbeddingResponse,
  Health,
  IdParams,
  ImageIdParams,
  ImageList,
  ImageListQuery,
  ImageRecord,
  Job,
  JobItemPage,
  JobItemsQuery,
  JobList,
  JobListQuery,
  LoginBody,
  ModelVersionDetail,
  ModelVersionList,
  Ok,
  Readiness,
  RegisterModelBody,
  type Role,
  SamePatientImages,
  SearchQuery,
  SearchResponse,
  SessionResponse,
  SimilarQuery,
  UpdateUserBody,
  User,
  UserList,
  VectorSearchBody,
} from './schemas.ts';
import { RefineSearchBody, SearchHistoryPage, SearchHistoryParams, SearchHistoryQuery } from './search-refine-schemas.ts';

/** Who may call a route: anyone (health checks, sign-in), or a signed-in user or API key of at least this role. */
export type RouteAccess = 'public' | Role;

/** The error statuses a route documents; each answers with an ErrorBody. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503 | 507;

/**
 * One REST route: what the server registers (method, path, access, the schemas that validate the request and
 * document the response) and what the typed client calls. Documentation prose (summary, description, tags)
 * stays with the server's handler.
 */
export interface RouteEntry {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify's form: `:name` for a path parameter. */
  readonly path: `/${string}`;
  readonly access: RouteAccess;
  readonly params?: TSchema;
  readonly querystring?: TSchema;
  /** A JSON body; for a multipart route, the form's fields (documentation: the parts are read as they stream in). */
  readonly body?: TSchema;
  readonly consumes?: readonly ['multipart/form-data'];
  readonly produces?: readonly string[];
  /** The success status when not 200. */
  readonly status?: 201 | 202;
  /** The success body; absent where the route documents none (the metrics text). */
  readonly response?: TSchema;
  /** Other answers that are not errors: a readiness 503, a 304 Not Modified. */
  readonly otherResponses?: { readonly [status: number]: TSchema };
  readonly errors: readonly ErrorStatus[];
}

/** Raw bytes (an image, a gzipped dump) in OpenAPI; the server sends them as they are, the client reads a Blob. */
export const BinaryBody = Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary' });
export const PngBody = Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'PNG image' });

/** 304: the copy the client named in If-None-Match is current; no body. */
export const NotModified = Type.Null({ description: 'Not Modified: the ETag sent in If-None-Match is current' });

export const JobEventStream = Type.String({
  description:
    'text/event-stream. `event: progress` with a Job as data, at once and on every change; `event: end` with the final Job ' +
    'when it completes, fails or is cancelled, then the stream closes. Comment lines keep the connection alive.',
});

/** POST /api/v1/archives: multipart/form-data fields. */
export const ArchiveUploadForm = Type.Object({
  archive: Type.String({ format: 'binary', description: 'The .zip, .tar or .tar.gz archive' }),
  labels: Type.Optional(Type.String({ format: 'binary', description: 'Label file (CSV): EyePACS, APTOS or cbmir layout' })),
  source: Type.Optional(Type.String({ maxLength: 200, description: 'Source name stored on each image (default: the archive name)' })),
});

const multipart = ['multipart/form-data'] as const;

/** A stored case's file (its thumbnail, its original): bytes with an ETag, 304 when the client has them. */
const storedImageFile = <const P extends string>(path: P) =>
  ({
    method: 'GET',
    path,
    access: 'clinician',
    params: ImageIdParams,
    response: BinaryBody,
    otherResponses: { 304: NotModified },
    errors: [400, 401, 403, 404],
  }) as const;

/** Every REST route of the API, by name. The server registers exactly these (a test holds it to that). */
export const routes = {
  // ---- health ----
  health: { method: 'GET', path: '/healthz', access: 'public', response: Health, errors: [] },
  readiness: { method: 'GET', path: '/readyz', access: 'public', response: Readiness, otherResponses: { 503: Readiness }, errors: [] },
  metrics: { method: 'GET', path: '/metrics', access: 'admin', errors: [] },
  backupDatabase: { method: 'GET', path: '/api/v1/backup/database', access: 'admin', response: BinaryBody, errors: [401, 403, 409] },

  // ---- sessions, users, API keys, audit ----
  login: { method: 'POST', path: '/api/v1/auth/login', access: 'public', body: LoginBody, response: SessionResponse, errors: [400, 401, 429] },
  session: { method: 'GET', path: '/api/v1/auth/session', access: 'clinician', response: SessionResponse, errors: [401] },
  logout: { method: 'POST', path: '/api/v1/auth/logout', access: 'clinician', response: Ok, errors: [401, 403] },
  users: { method: 'GET', path: '/api/v1/users', access: 'admin', response: UserList, errors: [401, 403] },
  createUser: { method: 'POST', path: '/api/v1/users', access: 'admin', body: CreateUserBody, status: 201, response: User, errors: [400, 401, 403, 409] },
  updateUser: {
    method: 'PATCH',
    path: '/api/v1/users/:id',
    access: 'admin',
    params: IdParams,
    body: UpdateUserBody,
    response: User,
    errors: [400, 401, 403, 404, 409],
  },
  apiKeys: { method: 'GET', path: '/api/v1/api-keys', access: 'admin', response: ApiKeyList, errors: [401, 403] },
  createApiKey: {
    method: 'POST',
    path: '/api/v1/api-keys',
    access: 'admin',
    body: CreateApiKeyBody,
    status: 201,
    response: CreatedApiKey,
    errors: [400, 401, 403],
  },
  revokeApiKey: { method: 'DELETE', path: '/api/v1/api-keys/:id', access: 'admin', params: IdParams, response: ApiKey, errors: [400, 401, 403, 404] },
  audit: { method: 'GET', path: '/api/v1/audit', access: 'admin', querystring: AuditQuery, response: AuditPage, errors: [400, 401, 403] },

  // ---- model versions ----
  models: { method: 'GET', path: '/api/v1/models', access: 'clinician', response: ModelVersionList, errors: [401, 403] },
  model: { method: 'GET', path: '/api/v1/models/:id', access: 'clinician', params: IdParams, response: ModelVersionDetail, errors: [400, 401, 403, 404] },
  registerModel: {
    method: 'POST',
    path: '/api/v1/models',
    access: 'admin',
    body: RegisterModelBody,
    status: 201,
    response: ModelVersionDetail,
    errors: [400, 401, 403, 409],
  },
  activateModel: {
    method: 'POST',
    path: '/api/v1/models/:id/activate',
    access: 'admin',
    params: IdParams,
    status: 202,
    response: ModelVersionDetail,
    errors: [400, 401, 403, 404, 409],
  },
  modelEvaluations: {
    method: 'GET',
    path: '/api/v1/models/:id/evaluations',
    access: 'clinician',
    params: IdParams,
    querystring: EvaluationListQuery,
    response: EvaluationPage,
    errors: [400, 401, 403, 404],
  },

  // ---- archive upload and ingest jobs ----
  uploadArchive: {
    method: 'POST',
    path: '/api/v1/archives',
    access: 'admin',
    consumes: multipart,
    body: ArchiveUploadForm,
    status: 202,
    response: Job,
    errors: [400, 401, 403, 413, 415, 422, 507],
  },
  jobs: { method: 'GET', path: '/api/v1/jobs', access: 'admin', querystring: JobListQuery, response: JobList, errors: [400, 401, 403] },
  job: { method: 'GET', path: '/api/v1/jobs/:id', access: 'admin', params: IdParams, response: Job, errors: [400, 401, 403, 404] },
  jobItems: {
    method: 'GET',
    path: '/api/v1/jobs/:id/items',
    access: 'admin',
    params: IdParams,
    querystring: JobItemsQuery,
    response: JobItemPage,
    errors: [400, 401, 403, 404],
  },
  cancelJob: { method: 'POST', path: '/api/v1/jobs/:id/cancel', access: 'admin', params: IdParams, response: Job, errors: [400, 401, 403, 404, 409] },
  jobEvents: {
    method: 'GET',
    path: '/api/v1/jobs/:id/events',
    access: 'admin',
    params: IdParams,
    produces: ['text/event-stream'],
    response: JobEventStream,
    errors: [400, 401, 403, 404],
  },

  // ---- search ----
  searchByImage: {
    method: 'POST',
    path: '/api/v1/search',
    access: 'clinician',
    consumes: multipart,
    querystring: SearchQuery,
    response: SearchResponse,
    errors: [400, 401, 403, 413, 415, 422, 429, 503],
  },
  searchByVector: {
    method: 'POST',
    path: '/api/v1/search/vector',
    access: 'clinician',
    body: VectorSearchBody,
    response: SearchResponse,
    errors: [400, 401, 403, 429, 503],
  },
  refineSearch: {
    method: 'POST',
    path: '/api/v1/search/refine',
    access: 'clinician',
    body: RefineSearchBody,
    response: SearchResponse,
    errors: [400, 401, 403, 404, 409, 429, 503],
  },
  mySearches: {
    method: 'GET',
    path: '/api/v1/searches',
    access: 'clinician',
    querystring: SearchHistoryQuery,
    response: SearchHistoryPage,
    errors: [400, 401, 403],
  },
  mySearchQuery: {
    method: 'GET',
    path: '/api/v1/searches/:id/query',
    access: 'clinician',
    params: SearchHistoryParams,
    response: BinaryBody,
    errors: [400, 401, 403, 404],
  },
  mySearchThumbnail: {
    method: 'GET',
    path: '/api/v1/searches/:id/thumbnail',
    access: 'clinician',
    params: SearchHistoryParams,
    response: BinaryBody,
    errors: [400, 401, 403, 404],
  },

  // ---- stored cases ----
  images: { method: 'GET', path: '/api/v1/images', access: 'clinician', querystring: ImageListQuery, response: ImageList, errors: [400, 401, 403] },
  image: { method: 'GET', path: '/api/v1/images/:id', access: 'clinician', params: ImageIdParams, response: ImageRecord, errors: [400, 401, 403, 404] },
  samePatient: {
    method: 'GET',
    path: '/api/v1/images/:id/same-patient',
    access: 'clinician',
    params: ImageIdParams,
    response: SamePatientImages,
    errors: [400, 401, 403, 404],
  },
  thumbnail: storedImageFile('/api/v1/images/:id/thumbnail'),
  original: storedImageFile('/api/v1/images/:id/original'),
  similar: {
    method: 'GET',
    path: '/api/v1/images/:id/similar',
    access: 'clinician',
    params: ImageIdParams,
    querystring: SimilarQuery,
    response: SearchResponse,
    errors: [400, 401, 403, 404, 409, 429, 503],
  },
  embedding: {
    method: 'GET',
    path: '/api/v1/images/:id/embedding',
    access: 'clinician',
    params: ImageIdParams,
    response: EmbeddingResponse,
    errors: [400, 401, 403, 404, 409, 503],
  },

  // ---- explanations and the network's view ----
  explainUpload: {
    method: 'POST',
    path: '/api/v1/explanations',
    access: 'clinician',
    consumes: multipart,
    querystring: ExplanationQuery,
    response: Explanation,
    errors: [400, 401, 403, 404, 409, 413, 415, 422, 429, 503],
  },
  explainStored: {
    method: 'GET',
    path: '/api/v1/images/:id/explanation',
    access: 'clinician',
    params: ImageIdParams,
    querystring: StoredExplanationQuery,
    response: Explanation,
    errors: [400, 401, 403, 404, 409, 429, 503],
  },
  preprocess: {
    method: 'POST',
    path: '/api/v1/preprocess',
    access: 'clinician',
    consumes: multipart,
    response: PngBody,
    errors: [400, 401, 403, 413, 415, 422, 429, 503],
  },
  preprocessed: {
    method: 'GET',
    path: '/api/v1/images/:id/preprocessed',
    access: 'clinician',
    params: ImageIdParams,
    response: PngBody,
    errors: [400, 401, 403, 404, 503],
  },
} as const satisfies Record<string, RouteEntry>;

export type RouteName = keyof typeof routes;

// ---- types a call of a route takes and gives, derived from its entry ----

type ParamsPart<R> = R extends { params: infer P extends TSchema } ? { params: Static<P> } : { params?: never };
type QueryPart<R> = R extends { querystring: infer Q extends TSchema } ? { query?: Static<Q> } : { query?: never };
type BodyPart<R> = R extends { consumes: readonly ['multipart/form-data'] }
  ? { form: FormData; body?: never }
  : R extends { body: infer B extends TSchema }
    ? { body: Static<B>; form?: never }
    : { body?: never; form?: never };

/** What a call of route R sends: its path parameters, query, and JSON body or multipart form, as its schemas type them. */
export type RouteInput<R extends RouteEntry> = ParamsPart<R> & QueryPart<R> & BodyPart<R>;

/** The body of route R's success answer, as its response schema types it. */
export type RouteOutput<R extends RouteEntry> = R extends { response: infer S extends TSchema } ? Static<S> : never;

/** The path with its `:name` parameters filled in (each URI-encoded). */
export function routePath(route: RouteEntry, params: Readonly<Record<string, string>> = {}): string {
  return route.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.method} ${route.path}: no value for the path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
