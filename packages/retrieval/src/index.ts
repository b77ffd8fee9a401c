// Retrieval quality: ranking metrics (with ties), chance levels, evaluation runs, projections, reports.
export { countRelevant, forEachTieGroup, type Ranking } from './ranking.ts';
export { averagePrecision } from './average-precision.ts';
export { reciprocalRank } from './reciprocal-rank.ts';
export { precisionAtK, relevantInTopK } from './precision-at-k.ts';
export { recallAtK } from './recall-at-k.ts';
export { precisionRecallCurve, RECALL_LEVELS } from './precision-recall-curve.ts';
export { knnVote, knnVoteTally, VOTE_K, type KnnVoteTally } from './knn-vote.ts';
export { confusionMatrix, quadraticWeightedKappa } from './quadratic-kappa.ts';
export { chanceRanking, chanceRankingCache, type ChanceRanking } from './chance-levels.ts';
export { nearestK, squaredDistances, vectorMatrix, type VectorMatrix } from './exact-knn.ts';
export {
  GRADES,
  PRECISION_KS,
  RECALL_K,
  runEvaluation,
  type EvaluationOptions,
  type EvaluationResult,
  type EvaluationSet,
  type GradeMetrics,
  type LabelledItem,
  type MetricSet,
  type OverallMetrics,
} from './evaluation-run.ts';
export { pcaProject } from './pca.ts';
export { tsneProject, type TsneOptions } from './tsne.ts';
export { embeddingMap, stratifiedSample, type EmbeddingMapOptions, type MapPoint } from './embedding-map.ts';
export { evaluationSetFingerprint, type FingerprintItem } from './evaluation-set-fingerprint.ts';
export type { EvaluatedData, EvaluatedSource, EvaluationMapPoint, EvaluationReport, EvaluationTimings } from './evaluation-report.ts';
export { GRADE_COLOURS, GRADE_NAMES } from './grade-colours.ts';
export { describeProtocol, formatEvaluation, formatLayerTable, METRIC_ROWS } from './text-report.ts';
export { prCurveSvg } from './pr-curve-svg.ts';
export { embeddingMapSvg } from './embedding-map-svg.ts';
export { renderReportHtml } from './report-html.ts';
export { validationMetrics, type ValidationSummary } from './validation-metrics.ts';
export { rocchio, type RocchioWeights } from './rocchio.ts';
