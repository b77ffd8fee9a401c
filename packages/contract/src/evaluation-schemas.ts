import { Type, type Static } from 'typebox';

// ---- retrieval evaluations (`cbmir eval`), per model version ------------------------------------------

const metric = (description: string) => Type.Union([Type.Number(), Type.Null()], { description: `${description}; null when undefined (no query qualified)` });

const metricSetProperties = {
  queries: Type.Integer({ description: 'Queries with at least one relevant (same-grade) image in their gallery: the ranking metrics average over these' }),
  map: metric('Mean average precision: per query, the area under the precision-recall curve over the full ranking'),
  mrr: metric('Mean reciprocal rank of the first relevant image'),
  precisionAt1: metric('Share of the first result that is relevant'),
  precisionAt5: metric('Share of the first 5 results that are relevant'),
  precisionAt10: metric('Share of the first 10 results that are relevant'),
  recallAt10: metric('Share of all relevant images found in the first 10 results'),
  voteAccuracy: metric('Share of queries whose 10 nearest neighbours, voting with weight 1/distance, give their grade (per grade: that grade’s recall)'),
};

export const EvaluationMetricSet = Type.Object(metricSetProperties, { description: 'Retrieval metrics over a group of queries' });
export type EvaluationMetricSet = Static<typeof EvaluationMetricSet>;

const overallMetrics = (description: string) =>
  Type.Object(
    {
      ...metricSetProperties,
      macroMap: metric('Mean of the per-grade MAPs: every grade weighs the same, however rare'),
      voteKappa: metric('Quadratic weighted kappa between the 10-NN vote and the true grades (1 perfect, 0 chance)'),
    },
    { description },
  );

export const EvaluationOverallMetrics = overallMetrics('Metrics over all queries');
export type EvaluationOverallMetrics = Static<typeof EvaluationOverallMetrics>;

export const EvaluationGradeMetrics = Type.Object({
  grade: Type.Integer({ minimum: 0, maximum: 4 }),
  count: Type.Integer({ description: 'Query images of this grade' }),
  metrics: EvaluationMetricSet,
  chance: EvaluationMetricSet,
});
export type EvaluationGradeMetrics = Static<typeof EvaluationGradeMetrics>;

export const EvaluationMetrics = Type.Object({
  overall: EvaluationOverallMetrics,
  chance: overallMetrics(
    'What a uniformly random ranking of the same galleries scores, in expectation (from each query’s gallery grade frequencies); ' +
      'the vote’s from seeded random neighbours. On EyePACS-like data the chance MAP is already near 0.56.',
  ),
  perGrade: Type.Array(EvaluationGradeMetrics, { description: 'One entry per grade present among the queries' }),
  counts: Type.Object({
    queries: Type.Integer(),
    gallery: Type.Integer(),
    queriesWithoutRelevant: Type.Integer({ description: 'Queries whose gallery held no image of their grade (not in the ranking metrics)' }),
    excludedSamePatient: Type.Integer({ description: 'Query-gallery pairs left out because both images are of one patient' }),
    excludedSameImage: Type.Integer({ description: 'Query-gallery pairs left out because they are the same picture' }),
  }),
  gradeCounts: Type.Object({
    queries: Type.Array(Type.Integer(), { description: 'Query images per grade 0-4' }),
    gallery: Type.Array(Type.Integer(), { description: 'Gallery images per grade 0-4' }),
  }),
  voteConfusion: Type.Array(Type.Array(Type.Integer()), { description: '[true grade][voted grade] counts of the 10-NN vote' }),
});
export type EvaluationMetrics = Static<typeof EvaluationMetrics>;

export const EvaluationPrCurve = Type.Object(
  {
    recall: Type.Array(Type.Number(), { description: 'Recall levels 0, 0.05, ..., 1' }),
    precision: Type.Array(Type.Number(), { description: 'Mean interpolated precision at each recall level, over all queries' }),
    perGrade: Type.Array(Type.Object({ grade: Type.Integer({ minimum: 0, maximum: 4 }), precision: Type.Array(Type.Number()) }), {
      description: 'The same curve over the queries of each grade',
    }),
    chancePrecision: Type.Union([Type.Number(), Type.Null()], { description: 'A random ranking’s precision (flat): the mean share of relevant images' }),
  },
  { description: 'Precision-recall curves, sampled at the recall levels' },
);
export type EvaluationPrCurve = Static<typeof EvaluationPrCurve>;

export const EvaluationMapPoint = Type.Object({
  imageId: Type.Union([Type.String(), Type.Null()], {
    description: 'The stored case (link to /api/v1/images/{id}); null when the picture is not in the database',
  }),
  sha256: Type.String({ description: 'SHA-256 of the picture’s bytes' }),
  x: Type.Number({ minimum: 0, maximum: 1 }),
  y: Type.Number({ minimum: 0, maximum: 1 }),
  grade: Type.Integer({ minimum: 0, maximum: 4 }),
});
export type EvaluationMapPoint = Static<typeof EvaluationMapPoint>;

const DataSet = Type.Object({
  name: Type.String({ description: 'Folder the images came from' }),
  fingerprint: Type.String({ description: 'SHA-256 over the sorted "image sha256,grade,patient,eye" lines: same pictures and labels, same fingerprint' }),
  images: Type.Integer({ description: 'Labelled images' }),
});

export const Evaluation = Type.Object({
  id: Type.String({ format: 'uuid' }),
  modelVersionId: Type.String({ format: 'uuid' }),
  layer: Type.Union([Type.String(), Type.Null()], { description: 'The layer evaluated (its output, global-average-pooled); null: the version’s embedding' }),
  dimensions: Type.Integer({ description: 'Width of the vectors ranked' }),
  protocol: Type.Union([Type.Literal('leave-patient-out'), Type.Literal('gallery')], {
    description:
      'leave-patient-out: every image searches the rest of the set minus its own patient; gallery: the set searches a separate gallery (same patient and same picture still left out)',
  }),
  data: DataSet,
  gallery: Type.Union([DataSet, Type.Null()], { description: 'The separate gallery (protocol gallery); null otherwise' }),
  metrics: EvaluationMetrics,
  prCurve: EvaluationPrCurve,
  map: Type.Union([Type.Array(EvaluationMapPoint), Type.Null()], {
    description: 'PCA to 50 dimensions then t-SNE to 2 of (a grade-stratified sample of) the query images, coordinates in [0, 1]; null when no map was made',
  }),
  embeddings: Type.Object(
    {
      fromDatabase: Type.Integer(),
      fromCache: Type.Integer(),
      computed: Type.Integer(),
    },
    { description: 'Where the vectors came from: stored embeddings of this version, the on-disk cache, or computed for this run' },
  ),
  timings: Type.Object({
    readSeconds: Type.Number(),
    embedSeconds: Type.Number(),
    rankSeconds: Type.Number(),
    mapSeconds: Type.Number(),
    totalSeconds: Type.Number(),
  }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Evaluation = Static<typeof Evaluation>;

export const EvaluationListQuery = Type.Object({
  before: Type.Optional(Type.String({ format: 'uuid', description: 'nextBefore of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })),
});
export type EvaluationListQuery = Static<typeof EvaluationListQuery>;

export const EvaluationPage = Type.Object({
  evaluations: Type.Array(Evaluation, { description: 'Newest first' }),
  nextBefore: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `before` for the next (older) page; null at the end' }),
});
export type EvaluationPage = Static<typeof EvaluationPage>;
