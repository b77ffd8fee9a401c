import { Type, type Static } from 'typebox';
import { SearchFilterFields, SearchFilters } from './search-filters.ts';
import { SearchRegionFields } from './search-refine-schemas.ts';

/** Every error the API returns has this shape, whatever the status code. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Machine-readable error code, e.g. unsupported_type' }),
    message: Type.String({ description: 'What went wrong, for a person' }),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export const Eye = Type.Union([Type.Literal('left'), Type.Literal('right'), Type.Null()]);
export const Grade = Type.Union([Type.Integer({ minimum: 0, maximum: 4 }), Type.Null()], {
  description: 'Diabetic retinopathy grade 0-4, or null when unknown',
});

export const ModelVersion = Type.Object({
  id: Type.String(),
  name: Type.String(),
  architecture: Type.String(),
  embeddingDim: Type.Integer(),
  inputSize: Type.Integer(),
  preprocessing: Type.Record(Type.String(), Type.Unknown()),
  trained: Type.Boolean(),
  active: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type ModelVersion = Static<typeof ModelVersion>;

export const SearchHit = Type.Object({
  imageId: Type.String(),
  distance: Type.Number({ description: 'Euclidean (L2) distance to the query embedding' }),
  grade: Grade,
  eye: Eye,
  thumbnailUrl: Type.String(),
});
export type SearchHit = Static<typeof SearchHit>;

export const SearchShortfall = Type.Object(
  {
    code: Type.Union([Type.Literal('no_match'), Type.Literal('fewer_match'), Type.Literal('empty_index')]),
    message: Type.String(),
  },
  { description: 'Why fewer than k cases came back: no case passes the filters, fewer than k do, or nothing is indexed yet' },
);
export type SearchShortfall = Static<typeof SearchShortfall>;

export const GradeSuggestion = Type.Object(
  {
    grade: Type.Integer({ minimum: 0, maximum: 4, description: 'The grade with the largest share of the vote' }),
    share: Type.Number({ minimum: 0, maximum: 1, description: 'Its share of the vote weight' }),
    spread: Type.Array(
      Type.Object({
        grade: Type.Integer({ minimum: 0, maximum: 4 }),
        share: Type.Number({ minimum: 0, maximum: 1 }),
        neighbours: Type.Integer({ description: 'Neighbours of this grade that voted' }),
      }),
      { description: 'Every grade that received votes, largest share first' },
    ),
    voters: Type.Integer({ description: 'Graded neighbours that voted: the nearest ones, at most 10 (the vote the evaluation measures)' }),
    ungraded: Type.Integer({ description: 'Neighbours among the results without a grade, which do not vote' }),
  },
  {
    description:
      'Decision support, not a diagnosis: the grades of the nearest graded cases, each weighted by 1/distance (the 10-NN vote ' +
      '`cbmir eval` measures per model version). Null when no result is graded.',
  },
);
export type GradeSuggestion = Static<typeof GradeSuggestion>;

export const SearchResponse = Type.Object({
  model: ModelVersion,
  results: Type.Array(SearchHit),
  suggestion: Type.Union([GradeSuggestion, Type.Null()]),
  matching: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Indexed cases that pass the filters, counted up to 10,000 (null when the search was not filtered); see matchingCapped',
  }),
  matchingCapped: Type.Boolean({ description: 'True when more indexed cases pass the filters than `matching` says (it stopped counting at 10,000)' }),
  shortfall: Type.Union([SearchShortfall, Type.Null()]),
  query: Type.Optional(
    Type.Union([Type.Object({ eye: Eye, patientRef: Type.Union([Type.String(), Type.Null()]) }), Type.Null()], {
      description: 'Image search only: what a DICOM query says about itself (its eye, and its patient reference for excludePatient); null for other images',
    }),
  ),
  queryVector: Type.Optional(
    Type.Array(Type.Number(), {
      description: "The query's embedding under the model (image and case searches): send it to /search/refine to refine by example",
    }),
  ),
  historyId: Type.Optional(Type.String({ description: 'Image and case searches: this search in the caller’s own search history (GET /api/v1/searches)' })),
});
export type SearchResponse = Static<typeof SearchResponse>;

export const KQuery = Type.Object({
  k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
});
export type KQuery = Static<typeof KQuery>;

/** k and the filters; an unknown parameter (a misspelt filter) is refused rather than ignored. */
export const SearchQuery = Type.Object(
  { k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })), ...SearchFilterFields, ...SearchRegionFields },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const SimilarQuery = Type.Object(
  {
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
    ...SearchFilterFields,
    excludeSamePatient: Type.Optional(Type.Boolean({ description: "Leave out the case's own patient (both eyes, every visit)" })),
  },
  { additionalProperties: false },
);
export type SimilarQuery = Static<typeof SimilarQuery>;

export const VectorSearchBody = Type.Object({
  // Embeddings are stored as float4: entries are bounded well inside its range (squared distances included).
  vector: Type.Array(Type.Number({ minimum: -1e15, maximum: 1e15 }), { minItems: 1, maxItems: 4096 }),
  k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
  filters: Type.Optional(SearchFilters),
});
export type VectorSearchBody = Static<typeof VectorSearchBody>;

export const ImageIdParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
});
export type ImageIdParams = Static<typeof ImageIdParams>;

export const ImageRecord = Type.Object({
  id: Type.String(),
  sha256: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  format: Type.String(),
  eye: Eye,
  grade: Grade,
  patientRef: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  provenance: Type.Object(
    {
      jobId: Type.Union([Type.String(), Type.Null()], { description: 'The ingest job that added it; null when it came otherwise (demo seed, older imports)' }),
      fileName: Type.Union([Type.String(), Type.Null()], { description: 'Its name in the archive or folder' }),
      ingestedAt: Type.String({ format: 'date-time' }),
    },
    { description: 'Where the case came from: source (above), ingest job, file name, ingest date' },
  ),
  thumbnailUrl: Type.String(),
  originalUrl: Type.String(),
});
export type ImageRecord = Static<typeof ImageRecord>;

export const EmbeddingResponse = Type.Object({
  imageId: Type.String(),
  model: ModelVersion,
  vector: Type.Array(Type.Number()),
});
export type EmbeddingResponse = Static<typeof EmbeddingResponse>;

export const Health = Type.Object({ status: Type.Literal('ok') });

export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  database: Type.Boolean(),
  model: Type.Union([ModelVersion, Type.Null()]),
  backend: Type.Union([Type.String(), Type.Null()]),
  images: Type.Integer(),
});
export type Readiness = Static<typeof Readiness>;

// ---- users, sessions, API keys, audit -------------------------------------------------------------

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('clinician')]);
export type Role = Static<typeof Role>;

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 100 }),
  password: Type.String({ minLength: 1, maxLength: 1000 }),
});
export type LoginBody = Static<typeof LoginBody>;

export const SessionUser = Type.Object({ id: Type.String(), username: Type.String(), role: Role });
export type SessionUser = Static<typeof SessionUser>;

export const SessionResponse = Type.Object({
  user: SessionUser,
  csrfToken: Type.String({ description: 'Send back as the x-csrf-token header on POST, PATCH and DELETE requests' }),
  expiresAt: Type.String({ format: 'date-time' }),
});
export type SessionResponse = Static<typeof SessionResponse>;

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Role,
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof User>;

export const UserList = Type.Object({ users: Type.Array(User) });
export type UserList = Static<typeof UserList>;

export const CreateUserBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._@-]+$' }),
  password: Type.String({ minLength: 10, maxLength: 1000 }),
  role: Role,
});
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 10, maxLength: 1000 })),
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
  },
  { minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export type IdParams = Static<typeof IdParams>;

export const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
  role: Role,
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type ApiKey = Static<typeof ApiKey>;

export const ApiKeyList = Type.Object({ apiKeys: Type.Array(ApiKey) });
export type ApiKeyList = Static<typeof ApiKeyList>;

export const CreateApiKeyBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  role: Role,
  expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
});
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const CreatedApiKey = Type.Object({
  apiKey: ApiKey,
  secret: Type.String({ description: 'The key itself: shown this once, send it as "Authorization: Bearer <secret>"' }),
});
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const AuditQuery = Type.Object({
  action: Type.Optional(Type.String({ maxLength: 100 })),
  actorId: Type.Optional(Type.String({ maxLength: 100 })),
  targetId: Type.Optional(Type.String({ maxLength: 100 })),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  before: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'nextBefore of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditEvent = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actorType: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  actorName: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  ip: Type.Union([Type.String(), Type.Null()]),
});
export type AuditEvent = Static<typeof AuditEvent>;

export const AuditPage = Type.Object({
  events: Type.Array(AuditEvent),
  nextBefore: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `before` for the next (older) page; null at the end' }),
});
export type AuditPage = Static<typeof AuditPage>;

export const Ok = Type.Object({ ok: Type.Literal(true) });

// ---- model versions -------------------------------------------------------------------------------

export const ActivationProgress = Type.Object({
  state: Type.Union([Type.Literal('active'), Type.Literal('indexing'), Type.Literal('inactive'), Type.Literal('failed')]),
  embedded: Type.Integer({ description: 'Images with an embedding under this version' }),
  total: Type.Integer({ description: 'Images stored' }),
  unreadable: Type.Integer({
    description: 'Stored images whose original cannot be read or decoded (missing or damaged on disk): left out of indexing, reasons in the server log',
  }),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type ActivationProgress = Static<typeof ActivationProgress>;

export const ModelVersionDetail = Type.Object({
  model: ModelVersion,
  metrics: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  activation: ActivationProgress,
});
export type ModelVersionDetail = Static<typeof ModelVersionDetail>;

export const ModelVersionList = Type.Object({ models: Type.Array(ModelVersionDetail) });
export type ModelVersionList = Static<typeof ModelVersionList>;

export const RegisterModelBody = Type.Object({
  path: Type.String({ minLength: 1, maxLength: 4096, description: 'A model directory written by `cbmir train`, on the server' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type RegisterModelBody = Static<typeof RegisterModelBody>;

// ---- archive upload and ingest jobs ---------------------------------------------------------------

export const JobStatus = Type.Union(
  [Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')],
  { description: 'queued -> running -> completed | failed | cancelled. A running job survives a server restart: it resumes where it stopped.' },
);
export type JobStatus = Static<typeof JobStatus>;

export const LabelLayout = Type.Union([Type.Literal('eyepacs'), Type.Literal('aptos'), Type.Literal('cbmir')], {
  description: 'eyepacs: image,level (Kaggle trainLabels.csv); aptos: id_code,diagnosis (train.csv); cbmir: file,grade[,patient_id,eye]',
});
export type LabelLayout = Static<typeof LabelLayout>;

export const Job = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.Union([Type.Literal('archive'), Type.Literal('folder')]),
  status: JobStatus,
  format: Type.Union([Type.Literal('zip'), Type.Literal('tar'), Type.Literal('tar.gz'), Type.Literal('folder')]),
  fileName: Type.Union([Type.String(), Type.Null()], { description: 'The uploaded archive as the client named it' }),
  source: Type.String({ description: 'Stored as each image’s source' }),
  labels: Type.Union(
    [Type.Object({ fileName: Type.String(), layout: LabelLayout, count: Type.Integer({ description: 'Labelled file names in the label file' }) }), Type.Null()],
    { description: 'The label file used, from the archive or the form; null: every image is stored with grade unknown' },
  ),
  total: Type.Union([Type.Integer(), Type.Null()], { description: 'Files in the archive (folders, OS metadata and the label file not counted)' }),
  done: Type.Integer({ description: 'Files processed: added + duplicate + failed' }),
  added: Type.Integer(),
  duplicate: Type.Integer({ description: 'Already stored (same bytes), from an earlier upload or earlier in this archive' }),
  failed: Type.Integer({ description: 'Refused or skipped, each with its reason: see /jobs/{id}/items?status=failed' }),
  nearDuplicates: Type.Integer({ description: 'Added images whose embedding lies within CBMIR_NEAR_DUPLICATE_DISTANCE of an existing image' }),
  unlabelled: Type.Integer({ description: 'Images that had no row in the label file (stored with grade unknown)' }),
  rate: Type.Union([Type.Number(), Type.Null()], { description: 'Files per second since the job (re)started' }),
  etaSeconds: Type.Union([Type.Number(), Type.Null()], { description: 'Estimated seconds to completion while running' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why the job as a whole failed' }),
  createdBy: Type.Union([Type.String(), Type.Null()], { description: 'User or API key that uploaded it' }),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Job = Static<typeof Job>;

export const JobListQuery = Type.Object({
  status: Type.Optional(JobStatus),
  before: Type.Optional(Type.String({ format: 'uuid', description: 'nextBefore of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});
export type JobListQuery = Static<typeof JobListQuery>;

export const JobList = Type.Object({
  jobs: Type.Array(Job),
  nextBefore: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `before` for the next (older) page; null at the end' }),
});
export type JobList = Static<typeof JobList>;

export const JobItemStatus = Type.Union([Type.Literal('added'), Type.Literal('duplicate'), Type.Literal('failed')]);
export type JobItemStatus = Static<typeof JobItemStatus>;

export const JobItem = Type.Object({
  seq: Type.Integer({ description: 'Position of the entry in the archive' }),
  fileName: Type.String({ description: 'Name inside the archive (for display only)' }),
  status: JobItemStatus,
  code: Type.Union([Type.String(), Type.Null()], {
    description:
      'Why it failed: unsafe_name, link, not_a_file, too_large, compression_ratio, nested_archive, not_an_image, read_error, ' +
      'unsupported_type, undecodable, too_small, empty, embed_failed',
  }),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed, for a person' }),
  imageId: Type.Union([Type.String(), Type.Null()], { description: 'The stored image (added) or the existing one (duplicate)' }),
  nearDuplicateOf: Type.Union([Type.Object({ imageId: Type.String(), distance: Type.Number() }), Type.Null()]),
});
export type JobItem = Static<typeof JobItem>;

export const JobItemsQuery = Type.Object({
  status: Type.Optional(JobItemStatus),
  nearDuplicate: Type.Optional(Type.Boolean({ description: 'true: only near-duplicates' })),
  after: Type.Optional(Type.Integer({ minimum: -1, maximum: 2147483647, description: 'nextAfter of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export type JobItemsQuery = Static<typeof JobItemsQuery>;

export const JobItemPage = Type.Object({
  items: Type.Array(JobItem),
  nextAfter: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `after` for the next page; null at the end' }),
});
export type JobItemPage = Static<typeof JobItemPage>;

// ---- browsing stored cases --------------------------------------------------------------------------

export const ImageListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, default: 0 })),
  source: Type.Optional(Type.String({ maxLength: 200 })),
});
export type ImageListQuery = Static<typeof ImageListQuery>;

export const ImageSummary = Type.Object({
  id: Type.String(),
  grade: Grade,
  eye: Eye,
  source: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  thumbnailUrl: Type.String(),
});
export type ImageSummary = Static<typeof ImageSummary>;

export const SamePatientImages = Type.Object({
  images: Type.Array(ImageSummary, { description: 'Other images of the patient: the other eye first, then oldest first' }),
});
export type SamePatientImages = Static<typeof SamePatientImages>;

export const ImageList = Type.Object({
  images: Type.Array(ImageSummary),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
export type ImageList = Static<typeof ImageList>;
