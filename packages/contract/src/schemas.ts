import { Type, type Static } from 'typebox';

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

export const SearchResponse = Type.Object({
  model: ModelVersion,
  results: Type.Array(SearchHit),
});
export type SearchResponse = Static<typeof SearchResponse>;

export const KQuery = Type.Object({
  k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
});
export type KQuery = Static<typeof KQuery>;

export const VectorSearchBody = Type.Object({
  vector: Type.Array(Type.Number(), { minItems: 1, maxItems: 4096 }),
  k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
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
